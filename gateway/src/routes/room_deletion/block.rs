//! `GET` and `PUT /_synapse/admin/v1/rooms/{roomId}/block` (admin), as Synapse's
//! `BlockRoomRestServlet`: GET answers `{"block": true, "user_id"}` or
//! `{"block": false}`; PUT takes `{"block": bool}` (required) and answers it. Any
//! well-formed room ID may be blocked, known or not.

use axum::Json;
use axum::extract::State;
use bailiff_proto::membership::{GetRoomBlockRequest, RoomBlock, SetRoomBlockRequest};
use matrix_status::MatrixError;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::auth::AdminUser;
use crate::error::ApiResult;
use crate::extract::{JsonBody, PathParams};
use crate::routes::job_status::evacuations;
use crate::state::AppState;

/// Whether the room is blocked, and by whom.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct BlockStatus {
    pub block: bool,
    /// The admin who blocked it; absent when not blocked.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_id: Option<String>,
}

/// The PUT body, and its answer.
#[derive(Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct SetBlock {
    pub block: bool,
}

impl From<RoomBlock> for BlockStatus {
    fn from(block: RoomBlock) -> Self {
        Self {
            block: block.block,
            user_id: block.user_id.filter(|_| block.block),
        }
    }
}

/// The block state.
pub async fn get(
    State(state): State<AppState>,
    AdminUser(_admin): AdminUser,
    params: PathParams,
) -> ApiResult<Json<BlockStatus>> {
    let room_id = params.room_id("roomId")?;
    let block = evacuations(&state)
        .get_room_block(GetRoomBlockRequest {
            room_id: room_id.to_string(),
        })
        .await?
        .into_inner();
    Ok(Json(block.into()))
}

/// Blocks or unblocks.
pub async fn put(
    State(state): State<AppState>,
    AdminUser(admin): AdminUser,
    params: PathParams,
    body: JsonBody,
) -> ApiResult<Json<SetBlock>> {
    let room_id = params.room_id("roomId")?;
    let object: Map<String, Value> = body.parse()?;
    let block = match object.get("block") {
        None => return Err(MatrixError::missing_param("Missing params: ['block']").into()),
        Some(Value::Bool(block)) => *block,
        Some(_) => return Err(MatrixError::bad_json("Param 'block' must be a boolean.").into()),
    };
    evacuations(&state)
        .set_room_block(SetRoomBlockRequest {
            room_id: room_id.to_string(),
            block,
            user_id: admin.user_id.to_string(),
        })
        .await?;
    Ok(Json(SetBlock { block }))
}
