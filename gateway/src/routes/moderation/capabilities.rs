//! `GET /_matrix/client/{r0,v3}/capabilities` (any user, a suspended one included;
//! `docs/http-api.md` §9). Says what bailiff really allows: no password change, display
//! name, avatar or third-party ID change through the client-server API (it serves none
//! of those endpoints); the one room version `createRoom` makes; and account moderation
//! — `lock` and `suspend` — for server admins only, under the spec's name and MSC4323's
//! unstable one.

use std::collections::BTreeMap;

use axum::Json;
use bailiff_domain::DEFAULT_ROOM_VERSION;
use serde::Serialize;

use crate::auth::AuthedUser;

/// The answer.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct CapabilitiesResponse {
    /// By capability name.
    pub capabilities: Capabilities,
}

/// The capabilities, by their spec names.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Capabilities {
    /// bailiff serves no `/account/password`.
    #[serde(rename = "m.change_password")]
    pub change_password: BooleanCapability,
    /// bailiff serves no profile `PUT`.
    #[serde(rename = "m.set_displayname")]
    pub set_displayname: BooleanCapability,
    /// bailiff serves no profile `PUT`.
    #[serde(rename = "m.set_avatar_url")]
    pub set_avatar_url: BooleanCapability,
    /// bailiff serves no `/account/3pid` changes.
    #[serde(rename = "m.3pid_changes")]
    pub threepid_changes: BooleanCapability,
    /// The one room version `createRoom` makes.
    #[serde(rename = "m.room_versions")]
    pub room_versions: RoomVersions,
    /// Matrix v1.18.
    #[serde(rename = "m.account_moderation")]
    pub account_moderation: AccountModeration,
    /// The same, under MSC4323's unstable name, for clients not yet on v1.18.
    #[serde(rename = "uk.timedout.msc4323")]
    pub account_moderation_unstable: AccountModeration,
}

/// `{"enabled": bool}`.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct BooleanCapability {
    /// Whether the caller may do it.
    pub enabled: bool,
}

/// The room versions `createRoom` makes.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct RoomVersions {
    /// The version of new rooms.
    pub default: String,
    /// Version → `stable` or `unstable`.
    pub available: BTreeMap<String, String>,
}

/// Whether the caller may use the moderation endpoints.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct AccountModeration {
    /// `PUT /_matrix/client/v1/admin/lock/{userId}`.
    pub lock: bool,
    /// `PUT /_matrix/client/v1/admin/suspend/{userId}`.
    pub suspend: bool,
}

impl AccountModeration {
    /// Server admins may do both; anyone else neither.
    fn for_caller(user: &AuthedUser) -> Self {
        Self {
            lock: user.is_admin,
            suspend: user.is_admin,
        }
    }
}

/// The caller's capabilities.
pub async fn get(user: AuthedUser) -> Json<CapabilitiesResponse> {
    let disabled = || BooleanCapability { enabled: false };
    Json(CapabilitiesResponse {
        capabilities: Capabilities {
            change_password: disabled(),
            set_displayname: disabled(),
            set_avatar_url: disabled(),
            threepid_changes: disabled(),
            room_versions: RoomVersions {
                default: DEFAULT_ROOM_VERSION.to_owned(),
                available: BTreeMap::from([(DEFAULT_ROOM_VERSION.to_owned(), "stable".to_owned())]),
            },
            account_moderation: AccountModeration::for_caller(&user),
            account_moderation_unstable: AccountModeration::for_caller(&user),
        },
    })
}
