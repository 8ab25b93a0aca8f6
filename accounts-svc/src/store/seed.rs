//! Bulk creation of users for benchmarks and tests: thousands of rows in one transaction
//! with multi-row inserts, instead of one round trip per row.

use bailiff_domain::{OwnedDeviceId, OwnedUserId};
use sqlx::{AnyConnection, AssertSqlSafe};

use super::{Store, placeholders};
use crate::tokens::TokenHash;

/// Rows per multi-row insert; at most 5 parameters each, far below both backends' limits.
const ROWS_PER_STATEMENT: usize = 500;

/// One user to seed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SeedUser {
    /// Full user ID to create.
    pub user_id: OwnedUserId,
    /// Profile name (the localpart, as registration would default it).
    pub displayname: String,
    /// `(device_id, token_hash)` when the user should also get a session.
    pub session: Option<(OwnedDeviceId, TokenHash)>,
}

impl Store {
    /// Creates the users (all sharing `password_hash`) and their sessions in one
    /// transaction. Users that already exist are left as they are, but still get the
    /// requested session, so a benchmark can re-seed and obtain fresh tokens.
    pub async fn seed_users(
        &self,
        users: &[SeedUser],
        password_hash: &str,
        now_ms: i64,
    ) -> Result<(), sqlx::Error> {
        let mut tx = self.db.begin_write().await?;
        for chunk in users.chunks(ROWS_PER_STATEMENT) {
            insert_users(&mut tx, chunk, password_hash, now_ms).await?;
            let sessions: Vec<(&str, &str, &str)> = chunk
                .iter()
                .filter_map(|u| {
                    let (device, token) = u.session.as_ref()?;
                    Some((u.user_id.as_str(), device.as_str(), token.as_str()))
                })
                .collect();
            if !sessions.is_empty() {
                insert_sessions(&mut tx, &sessions, now_ms).await?;
            }
        }
        tx.commit().await
    }
}

async fn insert_users(
    conn: &mut AnyConnection,
    users: &[SeedUser],
    password_hash: &str,
    now_ms: i64,
) -> Result<(), sqlx::Error> {
    // The shared hash and timestamp are bound once and referenced by every row.
    let values = (0..users.len())
        .map(|i| format!("({}, $1, 0, 0, $2)", placeholders(i * 2 + 3, 2)))
        .collect::<Vec<_>>()
        .join(", ");
    let sql = format!(
        "INSERT INTO accounts_users \
         (user_id, displayname, password_hash, is_admin, deactivated, created_ts) \
         VALUES {values} ON CONFLICT (user_id) DO NOTHING"
    );
    let mut query = sqlx::query(AssertSqlSafe(sql))
        .bind(password_hash)
        .bind(now_ms);
    for user in users {
        query = query
            .bind(user.user_id.as_str())
            .bind(user.displayname.as_str());
    }
    query.execute(&mut *conn).await?;
    Ok(())
}

async fn insert_sessions(
    conn: &mut AnyConnection,
    sessions: &[(&str, &str, &str)],
    now_ms: i64,
) -> Result<(), sqlx::Error> {
    let rows = |width: usize| {
        (0..sessions.len())
            .map(|i| format!("({}, $1)", placeholders(i * width + 2, width)))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let devices = format!(
        "INSERT INTO accounts_devices (user_id, device_id, created_ts) VALUES {} \
         ON CONFLICT (user_id, device_id) DO NOTHING",
        rows(2)
    );
    let mut query = sqlx::query(AssertSqlSafe(devices)).bind(now_ms);
    for (user_id, device_id, _) in sessions {
        query = query.bind(*user_id).bind(*device_id);
    }
    query.execute(&mut *conn).await?;

    let tokens = format!(
        "INSERT INTO accounts_tokens (user_id, device_id, token_hash, created_ts) VALUES {}",
        rows(3)
    );
    let mut query = sqlx::query(AssertSqlSafe(tokens)).bind(now_ms);
    for (user_id, device_id, token_hash) in sessions {
        query = query.bind(*user_id).bind(*device_id).bind(*token_hash);
    }
    query.execute(&mut *conn).await?;
    Ok(())
}
