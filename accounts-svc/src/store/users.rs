//! Users: creation, lookup, password and admin changes.

use bailiff_domain::{DeviceId, OwnedUserId, UserId};
use sqlx::AnyConnection;

use super::{NewSession, Store, corrupt, flag, sessions};

/// A user as the service sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    /// `@localpart:server_name`.
    pub user_id: OwnedUserId,
    /// PHC (Argon2) or bcrypt string; `None` means password login is impossible.
    pub password_hash: Option<String>,
    /// Profile display name.
    pub displayname: String,
    /// `bot`, `support`, or `None` for a regular user.
    pub user_type: Option<String>,
    /// Server admin.
    pub is_admin: bool,
    /// Deactivated users cannot authenticate or log in.
    pub deactivated: bool,
}

#[derive(sqlx::FromRow)]
struct UserRow {
    user_id: String,
    password_hash: Option<String>,
    displayname: String,
    user_type: Option<String>,
    is_admin: i64,
    deactivated: i64,
}

impl TryFrom<UserRow> for User {
    type Error = sqlx::Error;

    fn try_from(row: UserRow) -> Result<Self, Self::Error> {
        Ok(Self {
            user_id: row.user_id.try_into().map_err(corrupt)?,
            password_hash: row.password_hash,
            displayname: row.displayname,
            user_type: row.user_type,
            is_admin: row.is_admin != 0,
            deactivated: row.deactivated != 0,
        })
    }
}

/// The columns of a user to create.
#[derive(Debug, Clone, Copy)]
pub struct NewUser<'a> {
    /// `@localpart:server_name`.
    pub user_id: &'a UserId,
    /// Already hashed; `None` leaves password login impossible.
    pub password_hash: Option<&'a str>,
    /// Profile display name.
    pub displayname: &'a str,
    /// `bot`, `support`, or `None`.
    pub user_type: Option<&'a str>,
    /// Server admin from the start (shared-secret registration can ask for it).
    pub is_admin: bool,
}

impl Store {
    /// The user, or `None` when there is no such user.
    pub async fn user(&self, user_id: &UserId) -> Result<Option<User>, sqlx::Error> {
        let row: Option<UserRow> = sqlx::query_as(
            "SELECT user_id, password_hash, displayname, user_type, is_admin, deactivated \
             FROM accounts_users WHERE user_id = $1",
        )
        .bind(user_id.as_str())
        .fetch_optional(&self.db.pool)
        .await?;
        row.map(User::try_from).transpose()
    }

    /// Creates a user and, when `session` is given, its first device and token, all or
    /// nothing. `Ok(false)` when the user ID is taken: the primary key decides, so two
    /// concurrent registrations cannot both win.
    pub async fn register(
        &self,
        user: NewUser<'_>,
        session: Option<NewSession<'_>>,
        now_ms: i64,
    ) -> Result<bool, sqlx::Error> {
        let mut tx = self.db.begin_write().await?;
        if !insert_user(&mut tx, user, now_ms).await? {
            tx.rollback().await?;
            return Ok(false);
        }
        if let Some(session) = session {
            sessions::insert_device(&mut tx, user.user_id, session, now_ms).await?;
            sessions::insert_token(&mut tx, user.user_id, session, now_ms).await?;
        }
        tx.commit().await?;
        Ok(true)
    }

    /// Replaces the password hash and, when `revoke` is set, deletes every device and
    /// token of the user except `keep_device_id`, in one transaction. `Ok(false)` when
    /// there is no such user.
    pub async fn reset_password(
        &self,
        user_id: &UserId,
        password_hash: &str,
        revoke: bool,
        keep_device_id: Option<&DeviceId>,
    ) -> Result<bool, sqlx::Error> {
        let mut tx = self.db.begin_write().await?;
        let updated =
            sqlx::query("UPDATE accounts_users SET password_hash = $2 WHERE user_id = $1")
                .bind(user_id.as_str())
                .bind(password_hash)
                .execute(&mut *tx)
                .await?
                .rows_affected();
        if updated == 0 {
            tx.rollback().await?;
            return Ok(false);
        }
        if revoke {
            sessions::delete_sessions(&mut tx, user_id, keep_device_id).await?;
        }
        tx.commit().await?;
        Ok(true)
    }

    /// Promotes or demotes. `Ok(false)` when there is no such user.
    pub async fn set_admin(&self, user_id: &UserId, admin: bool) -> Result<bool, sqlx::Error> {
        let updated = sqlx::query("UPDATE accounts_users SET is_admin = $2 WHERE user_id = $1")
            .bind(user_id.as_str())
            .bind(flag(admin))
            .execute(&self.db.pool)
            .await?
            .rows_affected();
        Ok(updated > 0)
    }

    /// Marks a user deactivated (or not). Not exposed over gRPC yet; used by tests to
    /// check that deactivated users are locked out.
    pub async fn set_deactivated(
        &self,
        user_id: &UserId,
        deactivated: bool,
    ) -> Result<bool, sqlx::Error> {
        let updated = sqlx::query("UPDATE accounts_users SET deactivated = $2 WHERE user_id = $1")
            .bind(user_id.as_str())
            .bind(flag(deactivated))
            .execute(&self.db.pool)
            .await?
            .rows_affected();
        Ok(updated > 0)
    }
}

/// Inserts unless the ID is taken; `Ok(false)` when taken.
pub(super) async fn insert_user(
    conn: &mut AnyConnection,
    user: NewUser<'_>,
    now_ms: i64,
) -> Result<bool, sqlx::Error> {
    let inserted: Option<String> = sqlx::query_scalar(
        "INSERT INTO accounts_users \
         (user_id, password_hash, displayname, user_type, is_admin, deactivated, created_ts) \
         VALUES ($1, $2, $3, $4, $5, 0, $6) \
         ON CONFLICT (user_id) DO NOTHING RETURNING user_id",
    )
    .bind(user.user_id.as_str())
    .bind(user.password_hash)
    .bind(user.displayname)
    .bind(user.user_type)
    .bind(flag(user.is_admin))
    .bind(now_ms)
    .fetch_optional(&mut *conn)
    .await?;
    Ok(inserted.is_some())
}
