//! `PUT /_matrix/client/{r0,v3}/rooms/{roomId}/send/{eventType}/{txnId}`: idempotent per
//! (user, device, txnId): a repeat returns the first event ID.

use axum::Json;
use axum::extract::State;
use bailiff_proto::membership::SendEventRequest;
use matrix_status::MatrixError;
use serde_json::{Value, json};

use super::{room_id_param, rooms};
use crate::auth::AuthedUser;
use crate::error::ApiResult;
use crate::extract::{JsonBody, PathParams};
use crate::state::AppState;

/// Longest event type or transaction ID accepted.
const MAX_PARAM_BYTES: usize = 255;

pub async fn put(
    State(state): State<AppState>,
    user: AuthedUser,
    params: PathParams,
    body: JsonBody,
) -> ApiResult<Json<Value>> {
    let room_id = room_id_param(&params, "roomId")?;
    let event_type = params.get("eventType")?;
    if event_type.is_empty() || event_type.len() > MAX_PARAM_BYTES {
        return Err(MatrixError::invalid_param("Invalid event type").into());
    }
    let txn_id = params.get("txnId")?;
    if txn_id.is_empty() || txn_id.len() > MAX_PARAM_BYTES {
        return Err(MatrixError::invalid_param("Invalid transaction ID").into());
    }
    let content = body.object()?;
    let sent = rooms(&state)
        .send_event(SendEventRequest {
            room_id,
            sender: user.user_id.clone(),
            r#type: event_type,
            state_key: None,
            content: Value::Object(content.0).to_string(),
            device_id: user.device_id.clone(),
            txn_id,
        })
        .await?
        .into_inner();
    Ok(Json(json!({ "event_id": sent.event_id })))
}
