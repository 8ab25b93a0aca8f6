//! Registration nonces. They live in the database, not in memory, so a nonce issued by
//! one replica can be consumed on another.

use super::Store;

impl Store {
    /// Records a freshly issued nonce.
    pub async fn insert_nonce(&self, nonce: &str, now_ms: i64) -> Result<(), sqlx::Error> {
        sqlx::query("INSERT INTO accounts_nonces (nonce, created_ts) VALUES ($1, $2)")
            .bind(nonce)
            .bind(now_ms)
            .execute(&self.db.pool)
            .await?;
        Ok(())
    }

    /// Consumes a nonce issued after `issued_after_ms`. One atomic delete, so two
    /// concurrent consumers of the same nonce cannot both succeed. `Ok(false)` when it is
    /// unknown, already used, or too old.
    pub async fn consume_nonce(
        &self,
        nonce: &str,
        issued_after_ms: i64,
    ) -> Result<bool, sqlx::Error> {
        let consumed: Option<String> = sqlx::query_scalar(
            "DELETE FROM accounts_nonces WHERE nonce = $1 AND created_ts > $2 RETURNING nonce",
        )
        .bind(nonce)
        .bind(issued_after_ms)
        .fetch_optional(&self.db.pool)
        .await?;
        Ok(consumed.is_some())
    }

    /// Deletes nonces issued at or before `issued_before_ms`; returns how many.
    pub async fn prune_nonces(&self, issued_before_ms: i64) -> Result<u64, sqlx::Error> {
        Ok(
            sqlx::query("DELETE FROM accounts_nonces WHERE created_ts <= $1")
                .bind(issued_before_ms)
                .execute(&self.db.pool)
                .await?
                .rows_affected(),
        )
    }
}
