//! Stubs for room page tabs and buttons whose data bailiff does not keep
//! (`shared/SYNAPSE-ADMIN.md` §4.2): a room's media (Ketesa's Media tab) and its forward
//! extremities (a tab in both UIs; bailiff does not federate, so there are none to
//! report). Admin only; the room ID is checked for syntax (`400 M_INVALID_PARAM`) but not
//! looked up.

use axum::Json;
use serde::Serialize;
use serde_json::Value;

use crate::auth::AdminUser;
use crate::error::ApiResult;
use crate::extract::PathParams;

/// `{"local": [], "remote": []}`.
#[derive(Debug, Default, Serialize, utoipa::ToSchema)]
pub struct RoomMedia {
    /// Always empty: bailiff stores no media.
    #[schema(value_type = Vec<String>)]
    pub local: Vec<Value>,
    #[schema(value_type = Vec<String>)]
    pub remote: Vec<Value>,
}

/// `{"count": 0, "results": []}`.
#[derive(Debug, Default, Serialize, utoipa::ToSchema)]
pub struct ForwardExtremities {
    pub count: u64,
    /// Always empty.
    #[schema(value_type = Vec<Object>)]
    pub results: Vec<Value>,
}

/// `GET /_synapse/admin/v1/room/{roomId}/media`.
pub async fn media(_admin: AdminUser, params: PathParams) -> ApiResult<Json<RoomMedia>> {
    params.room_id("roomId")?;
    Ok(Json(RoomMedia::default()))
}

/// `GET /_synapse/admin/v1/rooms/{roomId}/forward_extremities`.
pub async fn forward_extremities(
    _admin: AdminUser,
    params: PathParams,
) -> ApiResult<Json<ForwardExtremities>> {
    params.room_id("roomId")?;
    Ok(Json(ForwardExtremities::default()))
}
