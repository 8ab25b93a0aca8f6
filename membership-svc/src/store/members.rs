//! Memberships: who is in which room, plus the batch primitive evacuation jobs use.

use std::collections::HashMap;

use bailiff_domain::{Membership, UnknownVariant};
use sqlx::{AnyConnection, AssertSqlSafe};

use crate::error::Error;

use super::{keys_per_statement, placeholders};

use super::events::{
    NewEvent, PriorState, append_events, append_events_over, membership_of_content,
};

/// A user's current membership in a room (from its latest `m.room.member` event).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemberRow {
    /// The room.
    pub room_id: String,
    /// The member.
    pub user_id: String,
    /// The current membership.
    pub membership: Membership,
    /// Membership before this event, when there was one.
    pub prev_membership: Option<Membership>,
    /// The member event.
    pub event_id: String,
    /// Position of the member event: for `join`, the join order.
    pub stream_pos: i64,
    /// Who sent the member event.
    pub sender: String,
    /// JSON object text of the member event.
    pub content: String,
}

/// A `membership_members` row as stored, before decoding into a [`MemberRow`].
#[derive(sqlx::FromRow)]
struct MemberRecord {
    room_id: String,
    user_id: String,
    membership: String,
    prev_membership: Option<String>,
    event_id: String,
    stream_pos: i64,
    sender: String,
    content: String,
}

impl TryFrom<MemberRecord> for MemberRow {
    type Error = UnknownVariant;

    fn try_from(row: MemberRecord) -> Result<Self, Self::Error> {
        Ok(Self {
            membership: row.membership.parse()?,
            prev_membership: row.prev_membership.map(|m| m.parse()).transpose()?,
            room_id: row.room_id,
            user_id: row.user_id,
            event_id: row.event_id,
            stream_pos: row.stream_pos,
            sender: row.sender,
            content: row.content,
        })
    }
}

fn decode_all(rows: Vec<MemberRecord>) -> Result<Vec<MemberRow>, Error> {
    Ok(rows
        .into_iter()
        .map(MemberRow::try_from)
        .collect::<Result<_, _>>()?)
}

const MEMBER_COLUMNS: &str =
    "room_id, user_id, membership, prev_membership, event_id, stream_pos, sender, content";

/// One membership change for [`append_member_events`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MemberChange<'a> {
    /// The member (`state_key`).
    pub user_id: &'a str,
    /// Who makes the change; the member themself for a self-leave.
    pub sender: &'a str,
    /// The new membership.
    pub membership: Membership,
    /// JSON object to use as content (e.g. the prior member content); its `membership`
    /// key is set to `membership`. Invalid or non-object text counts as `{}`.
    pub content: &'a str,
}

impl<'a> MemberChange<'a> {
    /// A change the member makes themself (sender = user).
    pub fn by_self(user_id: &'a str, membership: Membership, content: &'a str) -> Self {
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
pub(crate) fn member_content(content: &str, membership: Membership) -> String {
    // A map merge rather than ruma's `RoomMemberEventContent`: the prior content's keys,
    // custom ones included, must survive the change.
    let mut object = match serde_json::from_str::<serde_json::Value>(content) {
        Ok(serde_json::Value::Object(object)) => object,
        _ => serde_json::Map::new(),
    };
    object.insert("membership".into(), membership.as_str().into());
    serde_json::Value::Object(object).to_string()
}

/// A user's current membership row in a room.
pub async fn membership_of(
    conn: &mut AnyConnection,
    room_id: &str,
    user_id: &str,
) -> Result<Option<MemberRow>, Error> {
    let row: Option<MemberRecord> = sqlx::query_as(AssertSqlSafe(format!(
        "SELECT {MEMBER_COLUMNS} FROM membership_members WHERE room_id = $1 AND user_id = $2"
    )))
    .bind(room_id)
    .bind(user_id)
    .fetch_optional(&mut *conn)
    .await?;
    Ok(row.map(MemberRow::try_from).transpose()?)
}

/// The current membership of each of `user_ids` in each of `room_ids` that has one, by
/// (room, user): one query per [`keys_per_statement`] rooms instead of one per pair.
pub async fn memberships_in(
    conn: &mut AnyConnection,
    room_ids: &[&str],
    user_ids: &[&str],
) -> Result<HashMap<(String, String), Membership>, Error> {
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
            found.insert((room_id, user_id), membership.parse()?);
        }
    }
    Ok(found)
}

/// Every membership row of a user (any membership), in stream order.
pub async fn memberships_of_user(
    conn: &mut AnyConnection,
    user_id: &str,
) -> Result<Vec<MemberRow>, Error> {
    let rows = sqlx::query_as(AssertSqlSafe(format!(
        "SELECT {MEMBER_COLUMNS} FROM membership_members WHERE user_id = $1 ORDER BY stream_pos"
    )))
    .bind(user_id)
    .fetch_all(&mut *conn)
    .await?;
    decode_all(rows)
}

/// Rooms where the user's membership is `membership`, ordered by the position of that
/// membership event (join order for `join`).
pub async fn rooms_with_membership(
    conn: &mut AnyConnection,
    user_id: &str,
    membership: Membership,
) -> Result<Vec<String>, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT room_id FROM membership_members WHERE user_id = $1 AND membership = $2 \
         ORDER BY stream_pos",
    )
    .bind(user_id)
    .bind(membership.as_str())
    .fetch_all(&mut *conn)
    .await
}

/// Member rows of a room, optionally only those with `membership`, in stream order
/// (join order for `join`).
pub async fn member_rows_of_room(
    conn: &mut AnyConnection,
    room_id: &str,
    membership: Option<Membership>,
) -> Result<Vec<MemberRow>, Error> {
    let rows = match membership {
        Some(membership) => {
            sqlx::query_as(AssertSqlSafe(format!(
                "SELECT {MEMBER_COLUMNS} FROM membership_members WHERE room_id = $1 \
                 AND membership = $2 ORDER BY stream_pos"
            )))
            .bind(room_id)
            .bind(membership.as_str())
            .fetch_all(&mut *conn)
            .await?
        }
        None => {
            sqlx::query_as(AssertSqlSafe(format!(
                "SELECT {MEMBER_COLUMNS} FROM membership_members WHERE room_id = $1 \
                 ORDER BY stream_pos"
            )))
            .bind(room_id)
            .fetch_all(&mut *conn)
            .await?
        }
    };
    decode_all(rows)
}

/// Local users (`@…:server_name`) whose membership in the room is `join`, in join order
/// (the stream position of their current join).
pub async fn local_joined_members(
    conn: &mut AnyConnection,
    room_id: &str,
    server_name: &str,
) -> Result<Vec<String>, sqlx::Error> {
    let users: Vec<String> = sqlx::query_scalar(
        "SELECT user_id FROM membership_members WHERE room_id = $1 AND membership = $2 \
         ORDER BY stream_pos",
    )
    .bind(room_id)
    .bind(Membership::Join.as_str())
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
        .any(|content| membership_of_content(content) == Some(Membership::Join)))
}
