//! `m.room.power_levels`: the defaults a new room gets and the checks a send must pass.

use std::collections::HashMap;

use serde_json::{Map, Value, json};

/// The levels that matter for the checks this service makes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PowerLevels {
    users: HashMap<String, i64>,
    users_default: i64,
    events: HashMap<String, i64>,
    events_default: i64,
    state_default: i64,
    invite: i64,
}

impl PowerLevels {
    /// Reads a power-levels content; missing keys take the Matrix defaults. `None` (no
    /// power-levels event) also yields the defaults.
    pub fn from_content(content: Option<&str>) -> Self {
        let value: Value = content
            .and_then(|c| serde_json::from_str(c).ok())
            .unwrap_or(Value::Null);
        let level = |key: &str, default: i64| value.get(key).and_then(as_level).unwrap_or(default);
        let map = |key: &str| -> HashMap<String, i64> {
            value
                .get(key)
                .and_then(Value::as_object)
                .map(|object| {
                    object
                        .iter()
                        .filter_map(|(k, v)| Some((k.clone(), as_level(v)?)))
                        .collect()
                })
                .unwrap_or_default()
        };
        Self {
            users: map("users"),
            users_default: level("users_default", 0),
            events: map("events"),
            events_default: level("events_default", 0),
            state_default: level("state_default", 50),
            invite: level("invite", 0),
        }
    }

    pub fn user_level(&self, user_id: &str) -> i64 {
        self.users
            .get(user_id)
            .copied()
            .unwrap_or(self.users_default)
    }

    /// Level needed to send an event of `event_type` (a state event when `is_state`).
    pub fn event_level(&self, event_type: &str, is_state: bool) -> i64 {
        self.events.get(event_type).copied().unwrap_or(if is_state {
            self.state_default
        } else {
            self.events_default
        })
    }

    pub fn invite_level(&self) -> i64 {
        self.invite
    }
}

/// Integers, or strings holding one (older rooms), as Matrix allows.
/// A whole float as an integer level. `as` saturates, so a float beyond the range of
/// i64 clamps to its bound instead of wrapping.
#[allow(clippy::cast_possible_truncation)]
fn saturating_i64(whole: f64) -> i64 {
    whole as i64
}

fn as_level(value: &Value) -> Option<i64> {
    match value {
        Value::Number(n) => n
            .as_i64()
            .or_else(|| n.as_f64().filter(|f| f.fract() == 0.0).map(saturating_i64)),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// The power levels of a new room: creator at 100, `invite` 0 for private presets and 50
/// for `public_chat`, `override_content` merged on top (its `users` and `events` maps
/// merge key by key, other keys replace).
pub fn initial_content(
    creator: &str,
    preset: &str,
    ops: &[&str],
    override_content: Option<&Map<String, Value>>,
) -> Value {
    let mut users = Map::new();
    users.insert(creator.to_owned(), json!(100));
    for op in ops {
        users.insert((*op).to_owned(), json!(100));
    }
    // A map, not ruma's `RoomPowerLevelsEventContent`: it carries Synapse's `historical`
    // and takes overrides of any JSON shape (e.g. string levels) that the struct rejects.
    let mut content = json!({
        "users": users,
        "users_default": 0,
        "events": {
            "m.room.name": 50,
            "m.room.power_levels": 100,
            "m.room.history_visibility": 100,
            "m.room.canonical_alias": 50,
            "m.room.avatar": 50,
            "m.room.tombstone": 100,
            "m.room.server_acl": 100,
            "m.room.encryption": 100,
        },
        "events_default": 0,
        "state_default": 50,
        "ban": 50,
        "kick": 50,
        "redact": 50,
        "invite": if preset == "public_chat" { 50 } else { 0 },
        "historical": 100,
    });
    if let (Some(overrides), Some(object)) = (override_content, content.as_object_mut()) {
        for (key, value) in overrides {
            match (object.get_mut(key), value) {
                (Some(Value::Object(existing)), Value::Object(update))
                    if key == "users" || key == "events" =>
                {
                    for (k, v) in update {
                        existing.insert(k.clone(), v.clone());
                    }
                }
                _ => {
                    object.insert(key.clone(), value.clone());
                }
            }
        }
    }
    content
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_and_lookups() {
        let content = initial_content("@c:hs", "private_chat", &[], None).to_string();
        let levels = PowerLevels::from_content(Some(&content));
        assert_eq!(levels.user_level("@c:hs"), 100);
        assert_eq!(levels.user_level("@x:hs"), 0);
        assert_eq!(levels.event_level("m.room.message", false), 0);
        assert_eq!(levels.event_level("m.room.topic", true), 50);
        assert_eq!(levels.event_level("m.room.name", true), 50);
        assert_eq!(levels.event_level("m.room.power_levels", true), 100);
        assert_eq!(levels.invite_level(), 0);
        let public = initial_content("@c:hs", "public_chat", &[], None).to_string();
        assert_eq!(PowerLevels::from_content(Some(&public)).invite_level(), 50);
    }

    #[test]
    fn overrides_merge_users_and_replace_scalars() {
        let overrides = json!({"users": {"@t:hs": -10}, "events_default": 5, "invite": "75"});
        let content = initial_content("@c:hs", "private_chat", &["@op:hs"], overrides.as_object());
        let levels = PowerLevels::from_content(Some(&content.to_string()));
        assert_eq!(levels.user_level("@c:hs"), 100);
        assert_eq!(levels.user_level("@op:hs"), 100);
        assert_eq!(levels.user_level("@t:hs"), -10);
        assert_eq!(levels.event_level("m.room.message", false), 5);
        assert_eq!(levels.invite_level(), 75);
    }

    #[test]
    fn garbage_content_yields_defaults() {
        let levels = PowerLevels::from_content(Some("not json"));
        assert_eq!(levels.event_level("m.room.message", false), 0);
        assert_eq!(levels.event_level("x", true), 50);
        assert_eq!(PowerLevels::from_content(None).user_level("@a:hs"), 0);
    }
}
