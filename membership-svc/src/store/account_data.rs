//! Per-room account data of users (e.g. `m.tag`). Every change takes a stream position
//! so `/sync` sees it, in order, like an event.

use sqlx::AnyConnection;

use super::allocate;

/// One room account data entry.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct AccountDataRow {
    pub room_id: String,
    #[sqlx(rename = "type")]
    pub data_type: String,
    /// JSON object text.
    pub content: String,
    pub stream_pos: i64,
}

/// Replaces one entry, in the caller's write transaction. Returns its stream position.
pub async fn set_room_account_data(
    conn: &mut AnyConnection,
    user_id: &str,
    room_id: &str,
    data_type: &str,
    content: &str,
) -> Result<i64, sqlx::Error> {
    let pos = *allocate(conn, 1).await?.end();
    sqlx::query(
        "INSERT INTO membership_account_data (user_id, room_id, type, content, stream_pos) \
         VALUES ($1, $2, $3, $4, $5) ON CONFLICT (user_id, room_id, type) DO UPDATE SET \
         content = excluded.content, stream_pos = excluded.stream_pos",
    )
    .bind(user_id)
    .bind(room_id)
    .bind(data_type)
    .bind(content)
    .bind(pos)
    .execute(&mut *conn)
    .await?;
    Ok(pos)
}

/// One entry's content.
pub async fn room_account_data(
    conn: &mut AnyConnection,
    user_id: &str,
    room_id: &str,
    data_type: &str,
) -> Result<Option<String>, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT content FROM membership_account_data WHERE user_id = $1 AND room_id = $2 \
         AND type = $3",
    )
    .bind(user_id)
    .bind(room_id)
    .bind(data_type)
    .fetch_optional(&mut *conn)
    .await
}

/// Every entry of a user for one room.
pub async fn room_account_data_for_room(
    conn: &mut AnyConnection,
    user_id: &str,
    room_id: &str,
) -> Result<Vec<AccountDataRow>, sqlx::Error> {
    sqlx::query_as(
        "SELECT room_id, type, content, stream_pos FROM membership_account_data \
         WHERE user_id = $1 AND room_id = $2 ORDER BY stream_pos",
    )
    .bind(user_id)
    .bind(room_id)
    .fetch_all(&mut *conn)
    .await
}

/// Entries of a user changed with `after < stream_pos <= upto`.
pub async fn account_data_changes(
    conn: &mut AnyConnection,
    user_id: &str,
    after: i64,
    upto: i64,
) -> Result<Vec<AccountDataRow>, sqlx::Error> {
    sqlx::query_as(
        "SELECT room_id, type, content, stream_pos FROM membership_account_data \
         WHERE user_id = $1 AND stream_pos > $2 AND stream_pos <= $3 ORDER BY stream_pos",
    )
    .bind(user_id)
    .bind(after)
    .bind(upto)
    .fetch_all(&mut *conn)
    .await
}
