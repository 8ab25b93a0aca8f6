//! `GET /_matrix/client/{r0,v3}/rooms/{roomId}/messages` (`from`, `to`, `dir`, `limit`).
//! Tokens from `/sync` are valid `from` values; malformed tokens are
//! `400 M_INVALID_PARAM` (membership-svc checks them).

use axum::Json;
use axum::extract::{RawQuery, State};
use bailiff_proto::membership::GetMessagesRequest;
use matrix_status::MatrixError;
use serde_json::{Value, json};

use super::{Query, client_events, room_id_param, rooms};
use crate::auth::AuthedUser;
use crate::error::ApiResult;
use crate::extract::PathParams;
use crate::state::AppState;

/// Largest page served.
const MAX_LIMIT: u64 = 1000;

pub async fn get(
    State(state): State<AppState>,
    user: AuthedUser,
    params: PathParams,
    query: RawQuery,
) -> ApiResult<Json<Value>> {
    let room_id = room_id_param(&params, "roomId")?;
    let query = Query::new(query);
    // Synapse's default direction is forwards.
    let dir = match query.get("dir") {
        None => "f",
        Some(dir @ ("f" | "b")) => dir,
        Some(_) => return Err(MatrixError::invalid_param("dir must be 'f' or 'b'").into()),
    };
    let limit = query.integer("limit")?.unwrap_or(10).min(MAX_LIMIT) as u32;
    let page = rooms(&state)
        .get_messages(GetMessagesRequest {
            room_id,
            requester: user.user_id.clone(),
            from: query.get("from").unwrap_or_default().to_owned(),
            dir: dir.to_owned(),
            limit: limit.max(1),
            to: query.get("to").unwrap_or_default().to_owned(),
        })
        .await?
        .into_inner();
    let mut body = json!({ "chunk": client_events(page.chunk), "start": page.start });
    if let Some(end) = page.end {
        body["end"] = end.into();
    }
    if !page.state.is_empty() {
        body["state"] = client_events(page.state).into();
    }
    Ok(Json(body))
}
