//! Reads of events and current state: timeline pages, state at a position, current
//! state events, and which joined rooms moved. Writes are in `events`.

use std::collections::HashMap;

use bailiff_domain::Membership;
use sqlx::{AnyConnection, AssertSqlSafe};

use super::events::{Dir, EventRow};
use super::{keys_per_statement, placeholders};

/// Events of a room with `after < stream_pos <= upto`, oldest first (`Forward`) or newest
/// first (`Backward`), at most `limit`.
pub async fn events_between(
    conn: &mut AnyConnection,
    room_id: &str,
    after: i64,
    upto: i64,
    limit: i64,
    dir: Dir,
) -> Result<Vec<EventRow>, sqlx::Error> {
    let sql = match dir {
        Dir::Forward => concat!(
            "SELECT ",
            event_columns!(),
            " FROM membership_events e WHERE e.room_id = $1 AND e.stream_pos > $2 \
             AND e.stream_pos <= $3 ORDER BY e.stream_pos ASC LIMIT $4"
        ),
        Dir::Backward => concat!(
            "SELECT ",
            event_columns!(),
            " FROM membership_events e WHERE e.room_id = $1 AND e.stream_pos > $2 \
             AND e.stream_pos <= $3 ORDER BY e.stream_pos DESC LIMIT $4"
        ),
    };
    sqlx::query_as(sql)
        .bind(room_id)
        .bind(after)
        .bind(upto)
        .bind(limit)
        .fetch_all(&mut *conn)
        .await
}

/// The room's state as of `pos` (the latest event per (type, state_key) at or before it).
pub async fn state_at(
    conn: &mut AnyConnection,
    room_id: &str,
    pos: i64,
) -> Result<Vec<EventRow>, sqlx::Error> {
    sqlx::query_as(concat!(
        "SELECT ",
        event_columns!(),
        " FROM membership_events e WHERE e.room_id = $1 AND e.state_key IS NOT NULL \
         AND e.stream_pos <= $2 AND NOT EXISTS (SELECT 1 FROM membership_events n \
         WHERE n.room_id = e.room_id AND n.type = e.type AND n.state_key = e.state_key \
         AND n.stream_pos > e.stream_pos AND n.stream_pos <= $2) ORDER BY e.stream_pos"
    ))
    .bind(room_id)
    .bind(pos)
    .fetch_all(&mut *conn)
    .await
}

/// The room's current state, in stream order.
pub async fn current_state(
    conn: &mut AnyConnection,
    room_id: &str,
) -> Result<Vec<EventRow>, sqlx::Error> {
    sqlx::query_as(concat!(
        "SELECT ",
        event_columns!(),
        " FROM membership_current_state cs JOIN membership_events e \
         ON e.stream_pos = cs.stream_pos WHERE cs.room_id = $1 ORDER BY e.stream_pos"
    ))
    .bind(room_id)
    .fetch_all(&mut *conn)
    .await
}

/// One current state event.
pub async fn current_state_event(
    conn: &mut AnyConnection,
    room_id: &str,
    event_type: &str,
    state_key: &str,
) -> Result<Option<EventRow>, sqlx::Error> {
    sqlx::query_as(concat!(
        "SELECT ",
        event_columns!(),
        " FROM membership_current_state cs JOIN membership_events e \
         ON e.stream_pos = cs.stream_pos \
         WHERE cs.room_id = $1 AND cs.type = $2 AND cs.state_key = $3"
    ))
    .bind(room_id)
    .bind(event_type)
    .bind(state_key)
    .fetch_optional(&mut *conn)
    .await
}

/// The content of one current state event (`event_type`, `state_key`) in each of
/// `room_ids` that has it, by room: one query per [`keys_per_statement`] rooms.
pub async fn current_state_contents(
    conn: &mut AnyConnection,
    room_ids: &[&str],
    event_type: &str,
    state_key: &str,
) -> Result<HashMap<String, String>, sqlx::Error> {
    let mut found = HashMap::new();
    for chunk in room_ids.chunks(keys_per_statement(conn)) {
        let sql = format!(
            "SELECT cs.room_id, e.content FROM membership_current_state cs \
             JOIN membership_events e ON e.stream_pos = cs.stream_pos \
             WHERE cs.type = $1 AND cs.state_key = $2 AND cs.room_id IN ({})",
            placeholders(3, chunk.len())
        );
        let mut query = sqlx::query_as::<_, (String, String)>(AssertSqlSafe(sql))
            .bind(event_type)
            .bind(state_key);
        for room_id in chunk {
            query = query.bind(*room_id);
        }
        found.extend(query.fetch_all(&mut *conn).await?);
    }
    Ok(found)
}

/// An event by ID.
pub async fn event_by_id(
    conn: &mut AnyConnection,
    event_id: &str,
) -> Result<Option<EventRow>, sqlx::Error> {
    sqlx::query_as(concat!(
        "SELECT ",
        event_columns!(),
        " FROM membership_events e WHERE e.event_id = $1"
    ))
    .bind(event_id)
    .fetch_optional(&mut *conn)
    .await
}

/// Rooms where the user is currently joined that have events with
/// `after < stream_pos <= upto`.
pub async fn joined_rooms_with_events_between(
    conn: &mut AnyConnection,
    user_id: &str,
    after: i64,
    upto: i64,
) -> Result<Vec<String>, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT DISTINCT e.room_id FROM membership_events e JOIN membership_members m \
         ON m.room_id = e.room_id WHERE m.user_id = $1 AND m.membership = $4 \
         AND e.stream_pos > $2 AND e.stream_pos <= $3",
    )
    .bind(user_id)
    .bind(after)
    .bind(upto)
    .bind(Membership::Join.as_str())
    .fetch_all(&mut *conn)
    .await
}
