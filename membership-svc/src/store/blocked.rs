//! Blocked rooms (table `membership_blocked_rooms`, schema version 3): local users may
//! not join or be invited to them (`crate::api::membership`). A block is kept when the
//! room is purged, so a deleted room stays blocked (as Synapse's `blocked_rooms`).

use sqlx::AnyConnection;

/// Who blocked the room, when it is blocked.
pub async fn room_blocked_by(
    conn: &mut AnyConnection,
    room_id: &str,
) -> Result<Option<String>, sqlx::Error> {
    sqlx::query_scalar("SELECT user_id FROM membership_blocked_rooms WHERE room_id = $1")
        .bind(room_id)
        .fetch_optional(&mut *conn)
        .await
}

/// Blocks a room (known or not). Blocking again keeps the first blocker, as Synapse's
/// `block_room` (an upsert that does nothing on conflict).
pub async fn block_room(
    conn: &mut AnyConnection,
    room_id: &str,
    user_id: &str,
    now_ms: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO membership_blocked_rooms (room_id, user_id, blocked_ts) VALUES ($1, $2, $3) \
         ON CONFLICT (room_id) DO NOTHING",
    )
    .bind(room_id)
    .bind(user_id)
    .bind(now_ms)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Unblocks a room; nothing happens when it was not blocked.
pub async fn unblock_room(conn: &mut AnyConnection, room_id: &str) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM membership_blocked_rooms WHERE room_id = $1")
        .bind(room_id)
        .execute(&mut *conn)
        .await?;
    Ok(())
}
