//! The user shapes of Synapse's admin API: a row of the users list (`creation_ts` in
//! milliseconds) and the single-user record (`creation_ts` in seconds), both built from
//! accounts-svc's `UserRecord`. Absent optional strings are JSON `null`, flags are JSON
//! booleans (`docs/http-api.md` §7).

use bailiff_proto::accounts::UserRecord;
use serde::Serialize;

/// One user in `GET /_synapse/admin/v{2,3}/users`.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ListedUser {
    /// The full user ID.
    pub name: String,
    pub user_type: Option<String>,
    pub is_guest: bool,
    pub admin: bool,
    pub deactivated: bool,
    pub shadow_banned: bool,
    pub displayname: Option<String>,
    pub avatar_url: Option<String>,
    /// Milliseconds since the epoch (Synapse's list multiplies by 1000).
    pub creation_ts: i64,
    pub erased: bool,
    /// Milliseconds since the epoch; `null` before the first request.
    pub last_seen_ts: Option<i64>,
    pub locked: bool,
}

impl From<UserRecord> for ListedUser {
    fn from(user: UserRecord) -> Self {
        Self {
            name: user.user_id,
            user_type: user.user_type,
            is_guest: user.is_guest,
            admin: user.admin,
            deactivated: user.deactivated,
            shadow_banned: user.shadow_banned,
            displayname: user.displayname,
            avatar_url: user.avatar_url,
            creation_ts: user.creation_ts_ms,
            erased: user.erased,
            last_seen_ts: user.last_seen_ts_ms,
            locked: user.locked,
        }
    }
}

/// A third-party identifier.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ThreepidOut {
    pub medium: String,
    pub address: String,
    /// Milliseconds since the epoch.
    pub added_at: i64,
    /// Milliseconds since the epoch.
    pub validated_at: i64,
}

/// An SSO identity.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ExternalIdOut {
    pub auth_provider: String,
    pub external_id: String,
}

/// `GET`/`PUT /_synapse/admin/v2/users/{userId}`.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct UserDetails {
    /// The full user ID.
    pub name: String,
    pub admin: bool,
    pub deactivated: bool,
    pub locked: bool,
    pub shadow_banned: bool,
    /// **Seconds** since the epoch, as Synapse (synapse-admin multiplies by 1000).
    pub creation_ts: i64,
    /// Always `null`: bailiff has no application services.
    pub appservice_id: Option<String>,
    /// Always `null`: bailiff has no consent tracking.
    pub consent_server_notice_sent: Option<String>,
    /// Always `null`.
    pub consent_version: Option<String>,
    /// Always `null`.
    pub consent_ts: Option<i64>,
    pub user_type: Option<String>,
    pub is_guest: bool,
    /// Suspended (MSC3823): set through the moderation endpoints
    /// (`gateway/src/routes/moderation`).
    pub suspended: bool,
    pub displayname: Option<String>,
    pub avatar_url: Option<String>,
    pub threepids: Vec<ThreepidOut>,
    pub external_ids: Vec<ExternalIdOut>,
    pub erased: bool,
    /// Milliseconds since the epoch.
    pub last_seen_ts: Option<i64>,
}

impl From<UserRecord> for UserDetails {
    fn from(user: UserRecord) -> Self {
        Self {
            name: user.user_id,
            admin: user.admin,
            deactivated: user.deactivated,
            locked: user.locked,
            shadow_banned: user.shadow_banned,
            creation_ts: user.creation_ts_ms / 1000,
            appservice_id: None,
            consent_server_notice_sent: None,
            consent_version: None,
            consent_ts: None,
            user_type: user.user_type,
            is_guest: user.is_guest,
            suspended: user.suspended,
            displayname: user.displayname,
            avatar_url: user.avatar_url,
            threepids: user
                .threepids
                .into_iter()
                .map(|t| ThreepidOut {
                    medium: t.medium,
                    address: t.address,
                    added_at: t.added_at,
                    validated_at: t.validated_at,
                })
                .collect(),
            external_ids: user
                .external_ids
                .into_iter()
                .map(|e| ExternalIdOut {
                    auth_provider: e.auth_provider,
                    external_id: e.external_id,
                })
                .collect(),
            erased: user.erased,
            last_seen_ts: user.last_seen_ts_ms,
        }
    }
}
