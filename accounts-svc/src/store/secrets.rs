//! Secrets the deployment generates for itself, shared by every replica through the
//! database.

use access_token::TokenKey;

use super::Store;

const TOKEN_KEY: &str = "access_token_key";

impl Store {
    /// The deployment's access-token key, created on first use. Replicas starting
    /// together race on the insert; `ON CONFLICT DO NOTHING` lets the first one win and
    /// every replica reads back the winner's key.
    pub async fn token_key(&self) -> Result<TokenKey, sqlx::Error> {
        let fresh = TokenKey::generate();
        sqlx::query(
            "INSERT INTO accounts_secrets (name, value) VALUES ($1, $2) \
             ON CONFLICT (name) DO NOTHING",
        )
        .bind(TOKEN_KEY)
        .bind(hex::encode(fresh.as_bytes()))
        .execute(&self.db.pool)
        .await?;
        let stored: String =
            sqlx::query_scalar("SELECT value FROM accounts_secrets WHERE name = $1")
                .bind(TOKEN_KEY)
                .fetch_one(&self.db.pool)
                .await?;
        let bytes = hex::decode(&stored).map_err(|e| sqlx::Error::Decode(Box::new(e)))?;
        TokenKey::from_bytes(&bytes).map_err(|e| sqlx::Error::Decode(Box::new(e)))
    }
}
