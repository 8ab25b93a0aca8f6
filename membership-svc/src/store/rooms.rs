//! The room records themselves.

use std::collections::HashSet;

use sqlx::{AnyConnection, AssertSqlSafe};

use super::{keys_per_statement, placeholders};

/// A room.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct RoomRow {
    pub room_id: String,
    pub creator: String,
    pub created_ts: i64,
    pub room_version: String,
    /// 1 when published to the room directory (`visibility: public`).
    pub is_public: i64,
    /// The user this server-notice room belongs to; `None` for other rooms.
    pub server_notice_target: Option<String>,
}

/// Records a new room.
pub async fn insert_room(conn: &mut AnyConnection, room: &RoomRow) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO membership_rooms (room_id, creator, created_ts, room_version, is_public, \
         server_notice_target) VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(&room.room_id)
    .bind(&room.creator)
    .bind(room.created_ts)
    .bind(&room.room_version)
    .bind(room.is_public)
    .bind(room.server_notice_target.as_deref())
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// A room by ID.
pub async fn get_room(
    conn: &mut AnyConnection,
    room_id: &str,
) -> Result<Option<RoomRow>, sqlx::Error> {
    sqlx::query_as(
        "SELECT room_id, creator, created_ts, room_version, is_public, server_notice_target \
         FROM membership_rooms WHERE room_id = $1",
    )
    .bind(room_id)
    .fetch_optional(&mut *conn)
    .await
}

/// The newest room marked as `user_id`'s server-notice room.
pub async fn find_server_notice_room(
    conn: &mut AnyConnection,
    user_id: &str,
) -> Result<Option<String>, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT room_id FROM membership_rooms WHERE server_notice_target = $1 \
         ORDER BY created_ts DESC LIMIT 1",
    )
    .bind(user_id)
    .fetch_optional(&mut *conn)
    .await
}

/// Which of `room_ids` exist: one query per [`keys_per_statement`] rooms.
pub async fn existing_rooms(
    conn: &mut AnyConnection,
    room_ids: &[&str],
) -> Result<HashSet<String>, sqlx::Error> {
    let mut found = HashSet::new();
    for chunk in room_ids.chunks(keys_per_statement(conn)) {
        let sql = format!(
            "SELECT room_id FROM membership_rooms WHERE room_id IN ({})",
            placeholders(1, chunk.len())
        );
        let mut query = sqlx::query_scalar::<_, String>(AssertSqlSafe(sql));
        for room_id in chunk {
            query = query.bind(*room_id);
        }
        found.extend(query.fetch_all(&mut *conn).await?);
    }
    Ok(found)
}
