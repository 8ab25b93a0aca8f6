//! Per-user stubs the user edit page fires on load (`shared/SYNAPSE-ADMIN.md` §4.1, §6):
//! react-admin mounts every tab of the form at once, so each tab's request must answer,
//! and bailiff stores no media, pushers, rate-limit overrides or experimental features.
//! Admin only; the user ID is checked for syntax (`400 M_INVALID_PARAM`) but not looked
//! up, since the answer is empty either way. Query parameters (react-admin appends
//! `from`, `limit`, `order_by`, `dir`) are ignored.

use axum::Json;
use serde::Serialize;
use serde_json::{Map, Value};

use crate::auth::AdminUser;
use crate::error::ApiResult;
use crate::extract::PathParams;

/// `{"media": [], "total": 0}`.
#[derive(Debug, Default, Serialize, utoipa::ToSchema)]
pub struct UserMedia {
    /// Always empty: bailiff stores no media.
    #[schema(value_type = Vec<Object>)]
    pub media: Vec<Value>,
    pub total: u64,
}

/// `{"pushers": [], "total": 0}`.
#[derive(Debug, Default, Serialize, utoipa::ToSchema)]
pub struct UserPushers {
    /// Always empty: bailiff stores no pushers.
    #[schema(value_type = Vec<Object>)]
    pub pushers: Vec<Value>,
    pub total: u64,
}

/// `{}`: no override, the defaults apply (Synapse's answer for a user without one).
#[derive(Debug, Default, Serialize, utoipa::ToSchema)]
pub struct RatelimitOverride {}

/// `{"features": {}}`.
#[derive(Debug, Default, Serialize, utoipa::ToSchema)]
pub struct ExperimentalFeatures {
    /// Feature name → enabled; none exist here.
    #[schema(value_type = Object)]
    pub features: Map<String, Value>,
}

/// `GET /_synapse/admin/v1/users/{userId}/media`.
pub async fn media(_admin: AdminUser, params: PathParams) -> ApiResult<Json<UserMedia>> {
    params.user_id("userId")?;
    Ok(Json(UserMedia::default()))
}

/// `GET /_synapse/admin/v1/users/{userId}/pushers`.
pub async fn pushers(_admin: AdminUser, params: PathParams) -> ApiResult<Json<UserPushers>> {
    params.user_id("userId")?;
    Ok(Json(UserPushers::default()))
}

/// `GET /_synapse/admin/v1/users/{userId}/override_ratelimit`.
pub async fn override_ratelimit(
    _admin: AdminUser,
    params: PathParams,
) -> ApiResult<Json<RatelimitOverride>> {
    params.user_id("userId")?;
    Ok(Json(RatelimitOverride::default()))
}

/// `GET /_synapse/admin/v1/experimental_features/{userId}`.
pub async fn experimental_features(
    _admin: AdminUser,
    params: PathParams,
) -> ApiResult<Json<ExperimentalFeatures>> {
    params.user_id("userId")?;
    Ok(Json(ExperimentalFeatures::default()))
}
