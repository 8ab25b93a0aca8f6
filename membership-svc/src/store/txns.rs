//! Client transaction IDs: a repeated send returns the event the first one made.

use sqlx::AnyConnection;

/// The event first sent with this (user, device, transaction ID), if any.
pub async fn txn_event(
    conn: &mut AnyConnection,
    user_id: &str,
    device_id: &str,
    txn_id: &str,
) -> Result<Option<String>, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT event_id FROM membership_txns WHERE user_id = $1 AND device_id = $2 AND txn_id = $3",
    )
    .bind(user_id)
    .bind(device_id)
    .bind(txn_id)
    .fetch_optional(&mut *conn)
    .await
}

/// Records the event a transaction ID produced (in the transaction that sent it).
pub(crate) async fn insert_txn(
    conn: &mut AnyConnection,
    user_id: &str,
    device_id: &str,
    txn_id: &str,
    room_id: &str,
    event_id: &str,
    now_ms: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO membership_txns (user_id, device_id, txn_id, room_id, event_id, created_ts) \
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(user_id)
    .bind(device_id)
    .bind(txn_id)
    .bind(room_id)
    .bind(event_id)
    .bind(now_ms)
    .execute(&mut *conn)
    .await?;
    Ok(())
}
