//! Identifiers and tokens this service mints.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::RngExt;
use sha2::{Digest, Sha256};

/// `$` + 43 characters of URL-safe unpadded base64 of a SHA-256 over the event's
/// canonical fields and its stream position (so identical events still differ).
pub fn event_id(
    room_id: &str,
    sender: &str,
    event_type: &str,
    state_key: Option<&str>,
    content: &str,
    origin_server_ts: i64,
    stream_pos: i64,
) -> String {
    let mut hasher = Sha256::new();
    for field in [room_id, sender, event_type] {
        hasher.update(field.as_bytes());
        hasher.update([0u8]);
    }
    match state_key {
        Some(state_key) => {
            hasher.update([1u8]);
            hasher.update(state_key.as_bytes());
        }
        None => hasher.update([2u8]),
    }
    hasher.update([0u8]);
    hasher.update(content.as_bytes());
    hasher.update([0u8]);
    hasher.update(origin_server_ts.to_be_bytes());
    hasher.update(stream_pos.to_be_bytes());
    format!("${}", URL_SAFE_NO_PAD.encode(hasher.finalize()))
}

/// A new room ID: `!` + 18 random ASCII letters + `:server_name`.
pub fn new_room_id(server_name: &str) -> String {
    let mut rng = rand::rng();
    let opaque: String = (0..18)
        .map(|_| {
            let n = rng.random_range(0..52u8);
            char::from(if n < 26 { b'a' + n } else { b'A' + n - 26 })
        })
        .collect();
    format!("!{opaque}:{server_name}")
}

/// The server name of a user ID (`@local:server` → `server`).
pub fn server_of(user_id: &str) -> Option<&str> {
    user_id.split_once(':').map(|(_, server)| server)
}

/// A stream token: `s<position>`.
pub fn token(pos: i64) -> String {
    format!("s{pos}")
}

/// Parses a token made by [`token`]; `None` when malformed.
pub fn parse_token(token: &str) -> Option<i64> {
    let digits = token.strip_prefix('s')?;
    if digits.is_empty() || digits.len() > 18 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn event_ids_are_43_url_safe_chars_and_differ_by_position() {
        let a = event_id("!r:hs", "@a:hs", "m.room.message", None, "{}", 1, 1);
        let b = event_id("!r:hs", "@a:hs", "m.room.message", None, "{}", 1, 2);
        assert_eq!(a.len(), 44);
        assert!(a.starts_with('$'));
        assert!(
            a[1..]
                .bytes()
                .all(|c| c.is_ascii_alphanumeric() || c == b'-' || c == b'_')
        );
        assert_ne!(a, b);
        // A state key "" differs from no state key.
        assert_ne!(
            a,
            event_id("!r:hs", "@a:hs", "m.room.message", Some(""), "{}", 1, 1)
        );
    }

    #[test]
    fn room_ids_are_opaque_and_local() {
        let id = new_room_id("hs.test");
        assert!(id.starts_with('!') && id.ends_with(":hs.test"));
        assert_eq!(id.len(), 1 + 18 + 1 + 7);
        assert_ne!(id, new_room_id("hs.test"));
    }

    #[test]
    fn tokens_round_trip_and_reject_garbage() {
        assert_eq!(parse_token(&token(42)), Some(42));
        assert_eq!(parse_token("s0"), Some(0));
        for bad in [
            "",
            "s",
            "42",
            "s-1",
            "s1x",
            "t1",
            "s99999999999999999999",
            "s+1",
        ] {
            assert_eq!(parse_token(bad), None, "{bad}");
        }
    }

    #[test]
    fn server_of_user() {
        assert_eq!(server_of("@a:hs.test:8448"), Some("hs.test:8448"));
        assert_eq!(server_of("@a"), None);
    }
}
