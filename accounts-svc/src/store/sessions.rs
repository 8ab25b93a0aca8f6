//! Devices and access tokens. A session is one device with its token; a token never
//! outlives its device.

use bailiff_domain::{DeviceId, OwnedDeviceId, OwnedUserId, UserId};
use sqlx::AnyConnection;

use super::{Store, corrupt};
use crate::tokens::TokenHash;

/// Who a valid token belongs to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Authenticated {
    /// Token owner.
    pub user_id: OwnedUserId,
    /// Device the token was issued for.
    pub device_id: OwnedDeviceId,
    /// Read with the token so the gateway needs no second lookup for admin routes.
    pub is_admin: bool,
    /// Locked users are refused by the gateway with `M_USER_LOCKED` (not
    /// `M_UNKNOWN_TOKEN`), so the flag travels with the answer.
    pub locked: bool,
    /// Suspended users are refused their writes by the gateway (`M_USER_SUSPENDED`);
    /// carried with the answer for the same reason as `locked`.
    pub suspended: bool,
}

/// A device and the hash of the token to issue for it.
#[derive(Debug, Clone, Copy)]
pub struct NewSession<'a> {
    /// Client-chosen or generated device ID.
    pub device_id: &'a DeviceId,
    /// Only used when the device is created; an existing device keeps its name.
    pub display_name: Option<&'a str>,
    /// SHA-256 hex of the token handed to the client.
    pub token_hash: &'a TokenHash,
}

/// What [`Store::open_session`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionOutcome {
    /// The token is live. `revoked_previous` when an existing device's old tokens were
    /// replaced (gateways must forget them).
    Created {
        /// Old tokens of the reused device were deleted.
        revoked_previous: bool,
    },
    /// A freshly generated device ID already exists for the user; pick another.
    DeviceIdTaken,
}

#[derive(sqlx::FromRow)]
struct AuthRow {
    user_id: String,
    device_id: String,
    is_admin: i64,
    locked: i64,
    suspended: i64,
}

impl TryFrom<AuthRow> for Authenticated {
    type Error = sqlx::Error;

    fn try_from(row: AuthRow) -> Result<Self, Self::Error> {
        Ok(Self {
            user_id: row.user_id.try_into().map_err(corrupt)?,
            device_id: row.device_id.into(),
            is_admin: row.is_admin != 0,
            locked: row.locked != 0,
            suspended: row.suspended != 0,
        })
    }
}

impl Store {
    /// The owner of a token hash, unless the token is unknown/revoked or the user is
    /// deactivated. One indexed lookup joined with the user: this runs on every request
    /// the gateway has not cached.
    pub async fn authenticate(
        &self,
        token_hash: &TokenHash,
    ) -> Result<Option<Authenticated>, sqlx::Error> {
        let row: Option<AuthRow> = sqlx::query_as(
            "SELECT t.user_id, t.device_id, u.is_admin, u.locked, u.suspended \
             FROM accounts_tokens t JOIN accounts_users u ON u.user_id = t.user_id \
             WHERE t.token_hash = $1 AND u.deactivated = 0",
        )
        .bind(token_hash.as_str())
        .fetch_optional(&self.db.pool)
        .await?;
        row.map(Authenticated::try_from).transpose()
    }

    /// Issues a token on a device, in one transaction.
    ///
    /// `client_chose_device`: the client named the device, so an existing one is reused
    /// and its previous tokens are revoked (a re-login replaces the old session). When we
    /// generated the ID, an existing device is never taken over: the caller retries with
    /// another ID instead.
    pub async fn open_session(
        &self,
        user_id: &UserId,
        session: NewSession<'_>,
        client_chose_device: bool,
        now_ms: i64,
    ) -> Result<SessionOutcome, sqlx::Error> {
        let mut tx = self.db.begin_write().await?;
        let created = insert_device(&mut tx, user_id, session, now_ms).await?;
        if !created && !client_chose_device {
            tx.rollback().await?;
            return Ok(SessionOutcome::DeviceIdTaken);
        }
        let revoked = if created {
            0
        } else {
            sqlx::query("DELETE FROM accounts_tokens WHERE user_id = $1 AND device_id = $2")
                .bind(user_id.as_str())
                .bind(session.device_id.as_str())
                .execute(&mut *tx)
                .await?
                .rows_affected()
        };
        insert_token(&mut tx, user_id, session, now_ms).await?;
        tx.commit().await?;
        Ok(SessionOutcome::Created {
            revoked_previous: revoked > 0,
        })
    }

    /// Revokes a token together with its device (and the device's other tokens).
    /// Returns the owner, or `None` when the token was unknown.
    pub async fn logout(&self, token_hash: &TokenHash) -> Result<Option<OwnedUserId>, sqlx::Error> {
        let mut tx = self.db.begin_write().await?;
        let owner: Option<(String, String)> = sqlx::query_as(
            "DELETE FROM accounts_tokens WHERE token_hash = $1 RETURNING user_id, device_id",
        )
        .bind(token_hash.as_str())
        .fetch_optional(&mut *tx)
        .await?;
        let Some((user_id, device_id)) = owner else {
            tx.rollback().await?;
            return Ok(None);
        };
        sqlx::query("DELETE FROM accounts_tokens WHERE user_id = $1 AND device_id = $2")
            .bind(&user_id)
            .bind(&device_id)
            .execute(&mut *tx)
            .await?;
        sqlx::query("DELETE FROM accounts_devices WHERE user_id = $1 AND device_id = $2")
            .bind(&user_id)
            .bind(&device_id)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        OwnedUserId::try_from(user_id).map(Some).map_err(corrupt)
    }

    /// Revokes every token and device of the user.
    pub async fn logout_all(&self, user_id: &UserId) -> Result<(), sqlx::Error> {
        let mut tx = self.db.begin_write().await?;
        delete_sessions(&mut tx, user_id, None).await?;
        tx.commit().await
    }

    /// Device IDs of the user, sorted; for tests and diagnostics.
    pub async fn device_ids(&self, user_id: &UserId) -> Result<Vec<OwnedDeviceId>, sqlx::Error> {
        let ids: Vec<String> = sqlx::query_scalar(
            "SELECT device_id FROM accounts_devices WHERE user_id = $1 ORDER BY device_id",
        )
        .bind(user_id.as_str())
        .fetch_all(&self.db.pool)
        .await?;
        Ok(ids.into_iter().map(OwnedDeviceId::from).collect())
    }
}

/// Creates the device unless it exists; `Ok(true)` when created.
pub(super) async fn insert_device(
    conn: &mut AnyConnection,
    user_id: &UserId,
    session: NewSession<'_>,
    now_ms: i64,
) -> Result<bool, sqlx::Error> {
    let created: Option<String> = sqlx::query_scalar(
        "INSERT INTO accounts_devices (user_id, device_id, display_name, created_ts) \
         VALUES ($1, $2, $3, $4) \
         ON CONFLICT (user_id, device_id) DO NOTHING RETURNING device_id",
    )
    .bind(user_id.as_str())
    .bind(session.device_id.as_str())
    .bind(session.display_name)
    .bind(now_ms)
    .fetch_optional(&mut *conn)
    .await?;
    Ok(created.is_some())
}

pub(super) async fn insert_token(
    conn: &mut AnyConnection,
    user_id: &UserId,
    session: NewSession<'_>,
    now_ms: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO accounts_tokens (token_hash, user_id, device_id, created_ts) \
         VALUES ($1, $2, $3, $4)",
    )
    .bind(session.token_hash.as_str())
    .bind(user_id.as_str())
    .bind(session.device_id.as_str())
    .bind(now_ms)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Deletes every device and token of the user, except those of `keep_device_id`.
pub(super) async fn delete_sessions(
    conn: &mut AnyConnection,
    user_id: &UserId,
    keep_device_id: Option<&DeviceId>,
) -> Result<(), sqlx::Error> {
    let user_id = user_id.as_str();
    match keep_device_id.map(DeviceId::as_str) {
        Some(keep) => {
            sqlx::query("DELETE FROM accounts_tokens WHERE user_id = $1 AND device_id <> $2")
                .bind(user_id)
                .bind(keep)
                .execute(&mut *conn)
                .await?;
            sqlx::query("DELETE FROM accounts_devices WHERE user_id = $1 AND device_id <> $2")
                .bind(user_id)
                .bind(keep)
                .execute(&mut *conn)
                .await?;
        }
        None => {
            sqlx::query("DELETE FROM accounts_tokens WHERE user_id = $1")
                .bind(user_id)
                .execute(&mut *conn)
                .await?;
            sqlx::query("DELETE FROM accounts_devices WHERE user_id = $1")
                .bind(user_id)
                .execute(&mut *conn)
                .await?;
        }
    }
    Ok(())
}
