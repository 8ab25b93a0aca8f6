//! Device counts over many users (Synapse admin room details).

use bailiff_domain::OwnedUserId;
use sqlx::AssertSqlSafe;

use super::{Store, placeholders};

/// Keys per `IN (…)` list; well under both backends' parameter limits.
const USERS_PER_STATEMENT: usize = 500;

impl Store {
    /// Devices of `user_ids` in all; users without devices (or unknown) add nothing.
    pub async fn count_devices(&self, user_ids: &[OwnedUserId]) -> Result<i64, sqlx::Error> {
        let mut total = 0;
        for chunk in user_ids.chunks(USERS_PER_STATEMENT) {
            let sql = format!(
                "SELECT COUNT(*) FROM accounts_devices WHERE user_id IN ({})",
                placeholders(1, chunk.len())
            );
            let mut query = sqlx::query_scalar::<_, i64>(AssertSqlSafe(sql));
            for user_id in chunk {
                query = query.bind(user_id.as_str());
            }
            total += query.fetch_one(&self.db.pool).await?;
        }
        Ok(total)
    }
}
