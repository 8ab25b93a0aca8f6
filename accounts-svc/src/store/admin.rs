//! Users administration: the full user record, the filtered and ordered users list, and
//! create-or-modify, as the Synapse admin API needs them (`gateway/src/routes/users_admin`).

use bailiff_domain::{OwnedUserId, UserId};
use sqlx::{AnyConnection, AssertSqlSafe};

use super::{Store, corrupt, flag, sessions};

/// A third-party identifier bound to a user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Threepid {
    /// `email` or `msisdn`.
    pub medium: String,
    /// The address.
    pub address: String,
    /// ms since the epoch.
    pub added_at: i64,
    /// ms since the epoch.
    pub validated_at: i64,
}

/// A login identity at an external provider.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExternalId {
    /// The SSO provider's ID.
    pub auth_provider: String,
    /// The user's ID at that provider.
    pub external_id: String,
}

/// Everything the admin API shows of a user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserRecord {
    /// `@localpart:server_name`.
    pub user_id: OwnedUserId,
    /// `None` when empty (erased, or removed with `""`).
    pub displayname: Option<String>,
    /// `mxc://` URL.
    pub avatar_url: Option<String>,
    /// `bot`, `support`, or `None`.
    pub user_type: Option<String>,
    /// Server admin.
    pub admin: bool,
    /// Deactivated.
    pub deactivated: bool,
    /// Locked out of every authenticated request.
    pub locked: bool,
    /// May read but not act (MSC3823).
    pub suspended: bool,
    /// Profile erased at deactivation.
    pub erased: bool,
    /// Never set by bailiff yet; kept for Synapse's shape.
    pub shadow_banned: bool,
    /// Guest account.
    pub is_guest: bool,
    /// ms since the epoch.
    pub creation_ts_ms: i64,
    /// ms since the epoch; `None` before the first request.
    pub last_seen_ts_ms: Option<i64>,
    /// Empty in lists (not loaded there).
    pub threepids: Vec<Threepid>,
    /// Empty in lists (not loaded there).
    pub external_ids: Vec<ExternalId>,
}

#[derive(sqlx::FromRow)]
struct RecordRow {
    user_id: String,
    displayname: String,
    avatar_url: Option<String>,
    user_type: Option<String>,
    is_admin: i64,
    deactivated: i64,
    locked: i64,
    suspended: i64,
    erased: i64,
    shadow_banned: i64,
    is_guest: i64,
    created_ts: i64,
    last_seen_ts: Option<i64>,
}

const RECORD_COLUMNS: &str = "user_id, displayname, avatar_url, user_type, is_admin, \
     deactivated, locked, suspended, erased, shadow_banned, is_guest, created_ts, last_seen_ts";

/// [`RECORD_COLUMNS`] of the table aliased `u`.
fn prefixed_record_columns() -> String {
    RECORD_COLUMNS
        .split(", ")
        .map(|c| format!("u.{c}"))
        .collect::<Vec<_>>()
        .join(", ")
}

impl TryFrom<RecordRow> for UserRecord {
    type Error = sqlx::Error;

    fn try_from(row: RecordRow) -> Result<Self, Self::Error> {
        Ok(Self {
            user_id: row.user_id.try_into().map_err(corrupt)?,
            displayname: Some(row.displayname).filter(|d| !d.is_empty()),
            avatar_url: row.avatar_url.filter(|a| !a.is_empty()),
            user_type: row.user_type,
            admin: row.is_admin != 0,
            deactivated: row.deactivated != 0,
            locked: row.locked != 0,
            suspended: row.suspended != 0,
            erased: row.erased != 0,
            shadow_banned: row.shadow_banned != 0,
            is_guest: row.is_guest != 0,
            creation_ts_ms: row.created_ts,
            last_seen_ts_ms: row.last_seen_ts,
            threepids: Vec::new(),
            external_ids: Vec::new(),
        })
    }
}

/// A three-way filter on a flag column.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum FlagFilter {
    /// No condition.
    #[default]
    Any,
    /// Only rows with the flag set.
    Only,
    /// Only rows without it.
    Exclude,
}

/// The sort keys of the users list (Synapse's `order_by` values).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum UserOrder {
    /// The user ID.
    #[default]
    Name,
    /// Display name.
    Displayname,
    /// Guest flag.
    IsGuest,
    /// Admin flag.
    Admin,
    /// Deactivated flag.
    Deactivated,
    /// User type.
    UserType,
    /// Avatar URL.
    AvatarUrl,
    /// Shadow-ban flag.
    ShadowBanned,
    /// Creation time.
    CreationTs,
    /// Last request.
    LastSeenTs,
    /// Locked flag.
    Locked,
}

impl UserOrder {
    /// Synapse's name for the key; `None` for anything else.
    pub fn parse(name: &str) -> Option<Self> {
        Some(match name {
            "name" => Self::Name,
            "displayname" => Self::Displayname,
            "is_guest" => Self::IsGuest,
            "admin" => Self::Admin,
            "deactivated" => Self::Deactivated,
            "user_type" => Self::UserType,
            "avatar_url" => Self::AvatarUrl,
            "shadow_banned" => Self::ShadowBanned,
            "creation_ts" => Self::CreationTs,
            "last_seen_ts" => Self::LastSeenTs,
            "locked" => Self::Locked,
            _ => return None,
        })
    }

    /// The column; a fixed string, never input.
    fn column(self) -> &'static str {
        match self {
            Self::Name => "user_id",
            Self::Displayname => "displayname",
            Self::IsGuest => "is_guest",
            Self::Admin => "is_admin",
            Self::Deactivated => "deactivated",
            Self::UserType => "user_type",
            Self::AvatarUrl => "avatar_url",
            Self::ShadowBanned => "shadow_banned",
            Self::CreationTs => "created_ts",
            Self::LastSeenTs => "last_seen_ts",
            Self::Locked => "locked",
        }
    }
}

/// The users list's filters, order and page (Synapse's `get_users_paginate`).
#[derive(Debug, Clone, Default)]
pub struct UserQuery {
    /// Substring of the localpart or of the display name, case-insensitive.
    pub name: Option<String>,
    /// Substring of the full user ID, case-insensitive; ignored when `name` is set.
    pub user_id: Option<String>,
    /// Guest accounts.
    pub guests: FlagFilter,
    /// Deactivated accounts.
    pub deactivated: FlagFilter,
    /// Locked accounts.
    pub locked: FlagFilter,
    /// Admins.
    pub admins: FlagFilter,
    /// Exclude these user types; `""` is "no type".
    pub not_user_types: Vec<String>,
    /// Sort key; ties by user ID ascending.
    pub order: UserOrder,
    /// Descending.
    pub backwards: bool,
    /// Offset.
    pub from: i64,
    /// Page size.
    pub limit: i64,
}

/// What a users-list query found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserPage {
    /// The page.
    pub users: Vec<UserRecord>,
    /// Matches over every page.
    pub total: i64,
}

/// A `WHERE` clause and its text parameters, built from fixed fragments only.
fn where_clause(query: &UserQuery) -> (String, Vec<String>) {
    let mut conditions: Vec<String> = Vec::new();
    let mut params: Vec<String> = Vec::new();
    // Adds a parameter and names its placeholder.
    fn next(params: &mut Vec<String>, value: String) -> String {
        params.push(value);
        format!("${}", params.len())
    }
    if let Some(name) = &query.name {
        let name = name.to_lowercase();
        let localpart = next(&mut params, format!("@%{name}%:%"));
        let display = next(&mut params, format!("%{name}%"));
        conditions.push(format!(
            "(LOWER(user_id) LIKE {localpart} OR LOWER(displayname) LIKE {display})"
        ));
    } else if let Some(user_id) = &query.user_id {
        let p = next(&mut params, format!("%{}%", user_id.to_lowercase()));
        conditions.push(format!("LOWER(user_id) LIKE {p}"));
    }
    for (filter, column) in [
        (query.guests, "is_guest"),
        (query.deactivated, "deactivated"),
        (query.locked, "locked"),
        (query.admins, "is_admin"),
    ] {
        match filter {
            FlagFilter::Any => {}
            FlagFilter::Only => conditions.push(format!("{column} = 1")),
            FlagFilter::Exclude => conditions.push(format!("{column} = 0")),
        }
    }
    if query.not_user_types.iter().any(String::is_empty) {
        conditions.push("user_type IS NOT NULL".to_owned());
    }
    let types: Vec<String> = query
        .not_user_types
        .iter()
        .filter(|t| !t.is_empty())
        .map(|t| next(&mut params, t.clone()))
        .collect();
    if !types.is_empty() {
        conditions.push(format!(
            "(user_type IS NULL OR user_type NOT IN ({}))",
            types.join(", ")
        ));
    }
    let clause = if conditions.is_empty() {
        String::new()
    } else {
        format!(" WHERE {}", conditions.join(" AND "))
    };
    (clause, params)
}

impl Store {
    /// One page of users and the total, as [`UserQuery`] says.
    ///
    /// The count and the page are two statements: the count walks the listing index
    /// only, and the page reads full rows for at most `limit` users.
    pub async fn list_users(&self, query: &UserQuery) -> Result<UserPage, sqlx::Error> {
        let (clause, params) = where_clause(query);
        let count_sql = format!("SELECT COUNT(*) FROM accounts_users{clause}");
        let mut count = sqlx::query_scalar::<_, i64>(AssertSqlSafe(count_sql));
        for p in &params {
            count = count.bind(p.as_str());
        }
        let total = count.fetch_one(&self.db.pool).await?;
        let dir = if query.backwards { "DESC" } else { "ASC" };
        let column = query.order.column();
        let tie = if query.order == UserOrder::Name {
            String::new()
        } else {
            ", user_id ASC".to_owned()
        };
        let n = params.len();
        // Deferred join: the offset is walked in the listing index alone (user ID and
        // sort key), and full rows are read for the `limit` users of the page only. With
        // the rows in the walk, a page near the end of 100,000 users read every row
        // before it (PostgreSQL: 70–140 ms; this way about 20–30 ms).
        let outer_tie = if query.order == UserOrder::Name {
            String::new()
        } else {
            ", p.user_id ASC".to_owned()
        };
        let page_sql = format!(
            "SELECT {} FROM accounts_users u JOIN \
             (SELECT user_id, {column} AS sort_key FROM accounts_users{clause} \
              ORDER BY {column} {dir}{tie} LIMIT ${} OFFSET ${}) p ON p.user_id = u.user_id \
             ORDER BY p.sort_key {dir}{outer_tie}",
            prefixed_record_columns(),
            n + 1,
            n + 2
        );
        let mut page = sqlx::query_as::<_, RecordRow>(AssertSqlSafe(page_sql));
        for p in &params {
            page = page.bind(p.as_str());
        }
        let rows = page
            .bind(query.limit)
            .bind(query.from)
            .fetch_all(&self.db.pool)
            .await?;
        let users = rows
            .into_iter()
            .map(UserRecord::try_from)
            .collect::<Result<_, _>>()?;
        Ok(UserPage { users, total })
    }

    /// The full record with threepids and external IDs, or `None`.
    pub async fn user_record(&self, user_id: &UserId) -> Result<Option<UserRecord>, sqlx::Error> {
        let sql = format!("SELECT {RECORD_COLUMNS} FROM accounts_users WHERE user_id = $1");
        let row: Option<RecordRow> = sqlx::query_as(AssertSqlSafe(sql))
            .bind(user_id.as_str())
            .fetch_optional(&self.db.pool)
            .await?;
        let Some(row) = row else {
            return Ok(None);
        };
        let mut record = UserRecord::try_from(row)?;
        let threepids: Vec<(String, String, i64, i64)> = sqlx::query_as(
            "SELECT medium, address, added_at, validated_at FROM accounts_threepids \
             WHERE user_id = $1 ORDER BY medium, address",
        )
        .bind(user_id.as_str())
        .fetch_all(&self.db.pool)
        .await?;
        record.threepids = threepids
            .into_iter()
            .map(|(medium, address, added_at, validated_at)| Threepid {
                medium,
                address,
                added_at,
                validated_at,
            })
            .collect();
        let external: Vec<(String, String)> = sqlx::query_as(
            "SELECT auth_provider, external_id FROM accounts_external_ids \
             WHERE user_id = $1 ORDER BY auth_provider, external_id",
        )
        .bind(user_id.as_str())
        .fetch_all(&self.db.pool)
        .await?;
        record.external_ids = external
            .into_iter()
            .map(|(auth_provider, external_id)| ExternalId {
                auth_provider,
                external_id,
            })
            .collect();
        Ok(Some(record))
    }

    /// Whether another user holds one of `ids` already.
    pub async fn external_ids_taken(
        &self,
        user_id: &UserId,
        ids: &[ExternalId],
    ) -> Result<bool, sqlx::Error> {
        for id in ids {
            let owner: Option<String> = sqlx::query_scalar(
                "SELECT user_id FROM accounts_external_ids \
                 WHERE auth_provider = $1 AND external_id = $2",
            )
            .bind(&id.auth_provider)
            .bind(&id.external_id)
            .fetch_optional(&self.db.pool)
            .await?;
            if owner.is_some_and(|owner| owner != user_id.as_str()) {
                return Ok(true);
            }
        }
        Ok(false)
    }

    /// Applies a set of changes in one transaction. `Ok(false)` when there is no user.
    pub async fn modify_user(
        &self,
        user_id: &UserId,
        change: &UserChange,
        now_ms: i64,
    ) -> Result<bool, sqlx::Error> {
        let mut tx = self.db.begin_write().await?;
        let exists: Option<String> =
            sqlx::query_scalar("SELECT user_id FROM accounts_users WHERE user_id = $1")
                .bind(user_id.as_str())
                .fetch_optional(&mut *tx)
                .await?;
        if exists.is_none() {
            tx.rollback().await?;
            return Ok(false);
        }
        apply(&mut tx, user_id, change, now_ms).await?;
        tx.commit().await?;
        Ok(true)
    }

    /// Creates a user with its changes applied, all or nothing. `Ok(false)` when the ID
    /// is taken.
    pub async fn create_user(
        &self,
        user: super::NewUser<'_>,
        change: &UserChange,
        now_ms: i64,
    ) -> Result<bool, sqlx::Error> {
        let mut tx = self.db.begin_write().await?;
        if !super::users::insert_user(&mut tx, user, now_ms).await? {
            tx.rollback().await?;
            return Ok(false);
        }
        apply(&mut tx, user.user_id, change, now_ms).await?;
        tx.commit().await?;
        Ok(true)
    }
}

/// What a create-or-modify changes; `None` leaves a field as it is.
#[derive(Debug, Clone, Default)]
pub struct UserChange {
    /// `Some("")` removes the display name.
    pub displayname: Option<String>,
    /// `Some(None)` removes the avatar.
    pub avatar_url: Option<Option<String>>,
    /// `Some(None)` clears the type.
    pub user_type: Option<Option<String>>,
    /// Admin flag.
    pub admin: Option<bool>,
    /// New password hash, with whether every device is logged out.
    pub password_hash: Option<(String, bool)>,
    /// Locked flag.
    pub locked: Option<bool>,
    /// Suspended flag.
    pub suspended: Option<bool>,
    /// `Some(true)`: deactivate (sessions, password, threepids gone); `Some(false)`:
    /// reactivate (and no longer erased).
    pub deactivated: Option<bool>,
    /// With deactivation: clear the profile and mark erased.
    pub erase: bool,
    /// Replace the whole set.
    pub threepids: Option<Vec<Threepid>>,
    /// Replace the whole set.
    pub external_ids: Option<Vec<ExternalId>>,
}

async fn set<T>(
    conn: &mut AnyConnection,
    user_id: &UserId,
    column: &'static str,
    value: T,
) -> Result<(), sqlx::Error>
where
    T: for<'q> sqlx::Encode<'q, sqlx::Any> + sqlx::Type<sqlx::Any> + Send + 'static,
{
    let sql = format!("UPDATE accounts_users SET {column} = $2 WHERE user_id = $1");
    sqlx::query(AssertSqlSafe(sql))
        .bind(user_id.as_str())
        .bind(value)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

async fn apply(
    conn: &mut AnyConnection,
    user_id: &UserId,
    change: &UserChange,
    now_ms: i64,
) -> Result<(), sqlx::Error> {
    if let Some(displayname) = &change.displayname {
        set(conn, user_id, "displayname", displayname.clone()).await?;
    }
    if let Some(avatar_url) = &change.avatar_url {
        set(conn, user_id, "avatar_url", avatar_url.clone()).await?;
    }
    if let Some(user_type) = &change.user_type {
        set(conn, user_id, "user_type", user_type.clone()).await?;
    }
    if let Some(admin) = change.admin {
        set(conn, user_id, "is_admin", flag(admin)).await?;
    }
    if let Some((hash, logout)) = &change.password_hash {
        set(conn, user_id, "password_hash", Some(hash.clone())).await?;
        if *logout {
            sessions::delete_sessions(conn, user_id, None).await?;
        }
    }
    if let Some(locked) = change.locked {
        set(conn, user_id, "locked", flag(locked)).await?;
    }
    if let Some(suspended) = change.suspended {
        set(conn, user_id, "suspended", flag(suspended)).await?;
    }
    if let Some(threepids) = &change.threepids {
        sqlx::query("DELETE FROM accounts_threepids WHERE user_id = $1")
            .bind(user_id.as_str())
            .execute(&mut *conn)
            .await?;
        for t in threepids {
            sqlx::query(
                "INSERT INTO accounts_threepids \
                 (user_id, medium, address, added_at, validated_at) VALUES ($1, $2, $3, $4, $5) \
                 ON CONFLICT (user_id, medium, address) DO NOTHING",
            )
            .bind(user_id.as_str())
            .bind(&t.medium)
            .bind(&t.address)
            .bind(now_ms)
            .bind(now_ms)
            .execute(&mut *conn)
            .await?;
        }
    }
    if let Some(external_ids) = &change.external_ids {
        sqlx::query("DELETE FROM accounts_external_ids WHERE user_id = $1")
            .bind(user_id.as_str())
            .execute(&mut *conn)
            .await?;
        for e in external_ids {
            sqlx::query(
                "INSERT INTO accounts_external_ids (auth_provider, external_id, user_id) \
                 VALUES ($1, $2, $3) ON CONFLICT (auth_provider, external_id) DO NOTHING",
            )
            .bind(&e.auth_provider)
            .bind(&e.external_id)
            .bind(user_id.as_str())
            .execute(&mut *conn)
            .await?;
        }
    }
    match change.deactivated {
        Some(true) => deactivate(conn, user_id, change.erase).await?,
        Some(false) => {
            set(conn, user_id, "deactivated", 0_i64).await?;
            set(conn, user_id, "erased", 0_i64).await?;
        }
        None => {}
    }
    Ok(())
}

/// Deactivation inside the caller's transaction: every device and token, the password
/// and the threepids go (as Synapse's `deactivate_account`); `erase` also clears the
/// profile and marks the user erased. Room memberships are the gateway's next step.
async fn deactivate(
    conn: &mut AnyConnection,
    user_id: &UserId,
    erase: bool,
) -> Result<(), sqlx::Error> {
    sessions::delete_sessions(conn, user_id, None).await?;
    sqlx::query("DELETE FROM accounts_threepids WHERE user_id = $1")
        .bind(user_id.as_str())
        .execute(&mut *conn)
        .await?;
    sqlx::query(
        "UPDATE accounts_users SET deactivated = 1, password_hash = NULL WHERE user_id = $1",
    )
    .bind(user_id.as_str())
    .execute(&mut *conn)
    .await?;
    if erase {
        sqlx::query(
            "UPDATE accounts_users SET erased = 1, displayname = '', avatar_url = NULL \
             WHERE user_id = $1",
        )
        .bind(user_id.as_str())
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}
