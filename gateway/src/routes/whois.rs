//! Whois: `GET /_matrix/client/{r0,v3}/admin/whois/{userId}` and
//! `GET /_synapse/admin/v1/whois/{userId}`. Anyone may look themselves up; anyone else
//! must be a server admin. Answers are reused for a moment ([`crate::whois_cache`]).

use axum::extract::State;
use axum::response::{IntoResponse, Response};
use bailiff_proto::accounts::WhoisRequest;
use bytes::Bytes;
use http::header::CONTENT_TYPE;
use matrix_status::{MatrixError, errcode};
use serde_json::{Map, Value, json};

use crate::auth::AuthedUser;
use crate::error::{ApiError, ApiResult};
use crate::extract::{PathParams, ids};
use crate::state::AppState;

pub async fn get(
    State(state): State<AppState>,
    user: AuthedUser,
    params: PathParams,
) -> ApiResult<Response> {
    let target = params.get("userId");
    let is_self = target.as_deref().is_ok_and(|id| id == user.user_id);
    if !is_self {
        user.require_admin()?;
    }
    let target = ids::parse_user_id(&target?)?;
    if !ids::is_local(&target, state.server_name()) {
        return Err(MatrixError::invalid_param("Can only whois a local user").into());
    }
    if let Some(body) = state.whois.get(target.as_str()) {
        return Ok(json_response(body));
    }
    let generation = state.whois.generation();
    let answer = state
        .accounts()
        .whois(WhoisRequest {
            user_id: target.to_string(),
        })
        .await;
    let devices = match answer {
        Ok(response) => response.into_inner().devices,
        Err(status) => {
            let error = ApiError::from(status);
            // An unknown local user has no devices.
            if error.0.errcode == errcode::NOT_FOUND {
                Vec::new()
            } else {
                return Err(error);
            }
        }
    };
    let devices: Map<String, Value> = devices
        .into_iter()
        .map(|device| {
            let connections: Vec<Value> = device
                .connections
                .into_iter()
                .map(|c| json!({ "ip": c.ip, "last_seen": c.last_seen_ms, "user_agent": c.user_agent }))
                .collect();
            (
                device.device_id,
                json!({ "sessions": [{ "connections": connections }] }),
            )
        })
        .collect();
    let body = json!({ "user_id": target.as_str(), "devices": devices });
    let body = Bytes::from(serde_json::to_vec(&body).map_err(|error| {
        tracing::error!(%error, "cannot render a whois answer");
        ApiError::from(MatrixError::internal())
    })?);
    state
        .whois
        .insert_if_current(target.as_str(), body.clone(), generation);
    Ok(json_response(body))
}

fn json_response(body: Bytes) -> Response {
    ([(CONTENT_TYPE, "application/json")], body).into_response()
}
