//! Memberships: who is in which room, plus the batch primitive evacuation jobs use.

use std::collections::HashMap;

use sqlx::{AnyConnection, AssertSqlSafe};

use super::{keys_per_statement, placeholders};

use super::events::{
    NewEvent, PriorState, append_events, append_events_over, membership_of_content,
};

/// A user's current membership in a room (from its latest `m.room.member` event).
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct MemberRow {
    pub room_id: String,
    pub user_id: String,
    /// `join`, `invite`, `leave` or `ban`.
    pub membership: String,
    /// Membership before this event, when there was one.
    pub prev_membership: Option<String>,
    pub event_id: String,
    /// Position of the member event: for `join`, the join order.
    pub stream_pos: i64,
    pub sender: String,
    /// JSON object text of the member event.
    pub content: String,
}

/// One membership change for [`append_member_events`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MemberChange<'a> {
    /// The member (`state_key`).
    pub user_id: &'a str,
    /// Who makes the change; the member themself for a self-leave.
    pub sender: &'a str,
    /// The new membership (`leave`, `join`, `invite`, `ban`).
    pub membership: &'a str,
    /// JSON object to use as content (e.g. the prior member content); its `membership`
    /// key is set to `membership`. Invalid or non-object text counts as `{}`.
    pub content: &'a str,
}

impl<'a> MemberChange<'a> {
    /// A change the member makes themself (sender = user).
    pub fn by_self(user_id: &'a str, membership: &'a str, content: &'a str) -> Self {
        Self {
            user_id,
            sender: user_id,
            membership,
            content,
        }
    }
}

/// Appends one `m.room.member` event per change to `room_id`, inside the caller's
/// transaction (start it with [`super::Store::begin_write`]): one stream-position range
/// for the whole batch, multi-row inserts, memberships and current state upserted
/// set-wise. Returns the new event IDs in input order. Callers skip users whose change
/// would be a no-op (e.g. already left) before calling; after commit, publish a sync
/// wake-up ([`crate::notifier::publish`]).
pub async fn append_member_events(
    conn: &mut AnyConnection,
    room_id: &str,
    changes: &[MemberChange<'_>],
    now_ms: i64,
) -> Result<Vec<String>, sqlx::Error> {
    let stored = append_events(conn, room_id, &member_events(changes), now_ms).await?;
    Ok(stored.into_iter().map(|e| e.event_id).collect())
}

/// [`append_member_events`] with the members' current state already read (see
/// [`append_events_over`]). Returns the stream position of the last event.
pub async fn append_member_events_over(
    conn: &mut AnyConnection,
    room_id: &str,
    changes: &[MemberChange<'_>],
    prior: PriorState,
    now_ms: i64,
) -> Result<Option<i64>, sqlx::Error> {
    let stored = append_events_over(conn, room_id, &member_events(changes), prior, now_ms).await?;
    Ok(stored.last().map(|e| e.stream_pos))
}

fn member_events(changes: &[MemberChange<'_>]) -> Vec<NewEvent> {
    changes
        .iter()
        .map(|change| {
            NewEvent::state(
                "m.room.member",
                change.user_id,
                change.sender,
                member_content(change.content, change.membership),
            )
        })
        .collect()
}

/// `content` (an object, else `{}`) with `membership` set.
pub(crate) fn member_content(content: &str, membership: &str) -> String {
    let mut object = match serde_json::from_str::<serde_json::Value>(content) {
        Ok(serde_json::Value::Object(object)) => object,
        _ => serde_json::Map::new(),
    };
    object.insert("membership".into(), membership.into());
    serde_json::Value::Object(object).to_string()
}

/// A user's current membership row in a room.
pub async fn membership_of(
    conn: &mut AnyConnection,
    room_id: &str,
    user_id: &str,
) -> Result<Option<MemberRow>, sqlx::Error> {
    sqlx::query_as(
        "SELECT room_id, user_id, membership, prev_membership, event_id, stream_pos, sender, \
         content FROM membership_members WHERE room_id = $1 AND user_id = $2",
    )
    .bind(room_id)
    .bind(user_id)
    .fetch_optional(&mut *conn)
    .await
}

/// The current membership of each of `user_ids` in each of `room_ids` that has one, by
/// (room, user): one query per [`keys_per_statement`] rooms instead of one per pair.
pub async fn memberships_in(
    conn: &mut AnyConnection,
    room_ids: &[&str],
    user_ids: &[&str],
) -> Result<HashMap<(String, String), String>, sqlx::Error> {
    let mut found = HashMap::new();
    if user_ids.is_empty() {
        return Ok(found);
    }
    for chunk in room_ids.chunks(keys_per_statement(conn)) {
        let sql = format!(
            "SELECT room_id, user_id, membership FROM membership_members \
             WHERE room_id IN ({}) AND user_id IN ({})",
            placeholders(1, chunk.len()),
            placeholders(chunk.len() + 1, user_ids.len())
        );
        let mut query = sqlx::query_as::<_, (String, String, String)>(AssertSqlSafe(sql));
        for room_id in chunk {
            query = query.bind(*room_id);
        }
        for user_id in user_ids {
            query = query.bind(*user_id);
        }
        for (room_id, user_id, membership) in query.fetch_all(&mut *conn).await? {
            found.insert((room_id, user_id), membership);
        }
    }
    Ok(found)
}

/// Every membership row of a user (any membership), in stream order.
pub async fn memberships_of_user(
    conn: &mut AnyConnection,
    user_id: &str,
) -> Result<Vec<MemberRow>, sqlx::Error> {
    sqlx::query_as(
        "SELECT room_id, user_id, membership, prev_membership, event_id, stream_pos, sender, \
         content FROM membership_members WHERE user_id = $1 ORDER BY stream_pos",
    )
    .bind(user_id)
    .fetch_all(&mut *conn)
    .await
}

/// Rooms where the user's membership is `membership` (e.g. `join`, `invite`), ordered by
/// the position of that membership event (join order for `join`).
pub async fn rooms_with_membership(
    conn: &mut AnyConnection,
    user_id: &str,
    membership: &str,
) -> Result<Vec<String>, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT room_id FROM membership_members WHERE user_id = $1 AND membership = $2 \
         ORDER BY stream_pos",
    )
    .bind(user_id)
    .bind(membership)
    .fetch_all(&mut *conn)
    .await
}

/// Member rows of a room, optionally only those with `membership`, in stream order
/// (join order for `join`).
pub async fn member_rows_of_room(
    conn: &mut AnyConnection,
    room_id: &str,
    membership: Option<&str>,
) -> Result<Vec<MemberRow>, sqlx::Error> {
    match membership {
        Some(membership) => {
            sqlx::query_as(
                "SELECT room_id, user_id, membership, prev_membership, event_id, stream_pos, \
                 sender, content FROM membership_members WHERE room_id = $1 AND membership = $2 \
                 ORDER BY stream_pos",
            )
            .bind(room_id)
            .bind(membership)
            .fetch_all(&mut *conn)
            .await
        }
        None => {
            sqlx::query_as(
                "SELECT room_id, user_id, membership, prev_membership, event_id, stream_pos, \
                 sender, content FROM membership_members WHERE room_id = $1 ORDER BY stream_pos",
            )
            .bind(room_id)
            .fetch_all(&mut *conn)
            .await
        }
    }
}

/// Local users (`@…:server_name`) whose membership in the room is `join`, in join order
/// (the stream position of their current join).
pub async fn local_joined_members(
    conn: &mut AnyConnection,
    room_id: &str,
    server_name: &str,
) -> Result<Vec<String>, sqlx::Error> {
    let users: Vec<String> = sqlx::query_scalar(
        "SELECT user_id FROM membership_members WHERE room_id = $1 AND membership = 'join' \
         ORDER BY stream_pos",
    )
    .bind(room_id)
    .fetch_all(&mut *conn)
    .await?;
    Ok(users
        .into_iter()
        .filter(|user| crate::ids::server_of(user) == Some(server_name))
        .collect())
}

/// True when the user was joined to the room at some point at or before `upto`.
pub async fn ever_joined_before(
    conn: &mut AnyConnection,
    room_id: &str,
    user_id: &str,
    upto: i64,
) -> Result<bool, sqlx::Error> {
    let contents: Vec<String> = sqlx::query_scalar(
        "SELECT content FROM membership_events WHERE room_id = $1 AND type = 'm.room.member' \
         AND state_key = $2 AND stream_pos <= $3",
    )
    .bind(room_id)
    .bind(user_id)
    .bind(upto)
    .fetch_all(&mut *conn)
    .await?;
    Ok(contents
        .iter()
        .any(|content| membership_of_content(content).as_deref() == Some("join")))
}
