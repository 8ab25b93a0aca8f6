//! A user's rooms as the Synapse admin user pages read them: memberships, room account
//! data and the counts of invites sent and rooms joined (`docs/http-api.md` §7).

use std::collections::HashSet;

use bailiff_domain::Membership;
use sqlx::AnyConnection;

use super::events::membership_of_content;

/// Every (room, type, content) of a user's room account data, by room then type.
pub async fn all_room_account_data(
    conn: &mut AnyConnection,
    user_id: &str,
) -> Result<Vec<(String, String, String)>, sqlx::Error> {
    sqlx::query_as(
        "SELECT room_id, type, content FROM membership_account_data WHERE user_id = $1 \
         ORDER BY room_id, type",
    )
    .bind(user_id)
    .fetch_all(&mut *conn)
    .await
}

/// Invites the user sent (member events they sent about someone else whose membership
/// is `invite`) at or after `from_ts`, as Synapse's `sent_invite_count`.
pub async fn sent_invite_count(
    conn: &mut AnyConnection,
    user_id: &str,
    from_ts: i64,
) -> Result<i64, sqlx::Error> {
    let contents: Vec<String> = sqlx::query_scalar(
        "SELECT content FROM membership_events WHERE type = 'm.room.member' AND sender = $1 \
         AND origin_server_ts >= $2 AND state_key <> $1",
    )
    .bind(user_id)
    .bind(from_ts)
    .fetch_all(&mut *conn)
    .await?;
    let invites = contents
        .iter()
        .filter(|content| membership_of_content(content) == Some(Membership::Invite))
        .count();
    Ok(i64::try_from(invites).unwrap_or(i64::MAX))
}

/// Distinct rooms the user joined at or after `from_ts` (any join event, even one
/// they have since left), as Synapse's `cumulative_joined_room_count`.
pub async fn cumulative_joined_room_count(
    conn: &mut AnyConnection,
    user_id: &str,
    from_ts: i64,
) -> Result<i64, sqlx::Error> {
    let rows: Vec<(String, String)> = sqlx::query_as(
        "SELECT room_id, content FROM membership_events WHERE type = 'm.room.member' \
         AND state_key = $1 AND origin_server_ts >= $2",
    )
    .bind(user_id)
    .bind(from_ts)
    .fetch_all(&mut *conn)
    .await?;
    let rooms: HashSet<&str> = rows
        .iter()
        .filter(|(_, content)| membership_of_content(content) == Some(Membership::Join))
        .map(|(room_id, _)| room_id.as_str())
        .collect();
    Ok(i64::try_from(rooms.len()).unwrap_or(i64::MAX))
}
