//! `PUT /_matrix/client/{r0,v3}/rooms/{roomId}/send/{eventType}/{txnId}`: idempotent per
//! (user, device, txnId): a repeat returns the first event ID.

use axum::Json;
use axum::extract::State;
use bailiff_proto::membership::SendEventRequest;
use matrix_status::MatrixError;
use serde_json::{Map, Value};

use super::rooms;
use crate::auth::{AuthedUser, Suspendable};
use crate::error::ApiResult;
use crate::extract::{JsonBody, PathParams};
use crate::routes::EventIdResponse;
use crate::state::AppState;

/// Longest event type or transaction ID accepted.
const MAX_PARAM_BYTES: usize = 255;

/// Sends the event (path checks, then the body).
pub async fn put(
    State(state): State<AppState>,
    user: AuthedUser,
    params: PathParams,
    body: JsonBody,
) -> ApiResult<Json<EventIdResponse>> {
    user.refuse_if_suspended(Suspendable::SendEvent)?;
    let room_id = params.room_id("roomId")?;
    let event_type = params.get("eventType")?;
    if event_type.is_empty() || event_type.len() > MAX_PARAM_BYTES {
        return Err(MatrixError::invalid_param("Invalid event type").into());
    }
    let txn_id = params.get("txnId")?;
    if txn_id.is_empty() || txn_id.len() > MAX_PARAM_BYTES {
        return Err(MatrixError::invalid_param("Invalid transaction ID").into());
    }
    // The event content is whatever object the client sent.
    let content: Map<String, Value> = body.parse()?;
    let sent = rooms(&state)
        .send_event(SendEventRequest {
            room_id: room_id.to_string(),
            sender: user.user_id.to_string(),
            r#type: event_type,
            state_key: None,
            content: Value::Object(content).to_string(),
            device_id: user.device_id.clone(),
            txn_id,
        })
        .await?
        .into_inner();
    Ok(Json(EventIdResponse {
        event_id: sent.event_id,
    }))
}
