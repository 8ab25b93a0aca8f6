//! Whois: `GET /_matrix/client/{r0,v3}/admin/whois/{userId}` and
//! `GET /_synapse/admin/v1/whois/{userId}`. Anyone may look themselves up; anyone else
//! must be a server admin. Answers are reused for a moment ([`crate::whois_cache`]).
//!
//! Two shapes (`docs/http-api.md`, whois): the client-server paths key each device by its
//! ID (Dendrite); the Synapse admin path puts every device's connections under the `""`
//! key, the only one the admin web UIs read (`devices[""].sessions[0].connections`).

use std::collections::BTreeMap;

use axum::extract::State;
use axum::response::{IntoResponse, Response};
use bailiff_proto::accounts::{DeviceConnections, WhoisRequest};
use bytes::Bytes;
use http::header::CONTENT_TYPE;
use matrix_status::{MatrixError, errcode};
use serde::Serialize;

use crate::auth::AuthedUser;
use crate::error::{ApiError, ApiResult};
use crate::extract::{PathParams, ids};
use crate::state::AppState;
use crate::whois_cache::Shape;

/// Connections shown under the `""` key of the Synapse shape.
const SYNAPSE_CONNECTIONS: usize = 50;

/// The answer. Fields are in key order, as the untyped answer was rendered.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct WhoisResponse {
    /// By device ID.
    pub devices: BTreeMap<String, WhoisDevice>,
    pub user_id: String,
}

/// One device: a single session holding its recent connections.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct WhoisDevice {
    pub sessions: Vec<WhoisSession>,
}

/// The connections of a session.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct WhoisSession {
    pub connections: Vec<WhoisConnection>,
}

/// Where and when a device was last seen.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct WhoisConnection {
    pub ip: String,
    /// Milliseconds since the epoch.
    pub last_seen: i64,
    pub user_agent: String,
}

impl From<DeviceConnections> for WhoisDevice {
    fn from(device: DeviceConnections) -> Self {
        let connections = device
            .connections
            .into_iter()
            .map(|c| WhoisConnection {
                ip: c.ip,
                last_seen: c.last_seen_ms,
                user_agent: c.user_agent,
            })
            .collect();
        Self {
            sessions: vec![WhoisSession { connections }],
        }
    }
}

/// The client-server paths: one entry per device.
pub async fn get(
    State(state): State<AppState>,
    user: AuthedUser,
    params: PathParams,
) -> ApiResult<Response> {
    answer(&state, &user, &params, Shape::PerDevice).await
}

/// `/_synapse/admin/v1/whois`: every connection under the `""` key.
pub async fn synapse(
    State(state): State<AppState>,
    user: AuthedUser,
    params: PathParams,
) -> ApiResult<Response> {
    answer(&state, &user, &params, Shape::Synapse).await
}

/// Every device's connections merged, newest first, at most [`SYNAPSE_CONNECTIONS`]. A
/// user with no connection at all keeps `{}`, as the per-device shape does.
fn merged(devices: Vec<DeviceConnections>) -> BTreeMap<String, WhoisDevice> {
    let mut connections: Vec<WhoisConnection> = devices
        .into_iter()
        .flat_map(|device| WhoisDevice::from(device).sessions)
        .flat_map(|session| session.connections)
        .collect();
    if connections.is_empty() {
        return BTreeMap::new();
    }
    connections.sort_by(|a, b| {
        b.last_seen
            .cmp(&a.last_seen)
            .then_with(|| a.ip.cmp(&b.ip))
            .then_with(|| a.user_agent.cmp(&b.user_agent))
    });
    connections.truncate(SYNAPSE_CONNECTIONS);
    BTreeMap::from([(
        String::new(),
        WhoisDevice {
            sessions: vec![WhoisSession { connections }],
        },
    )])
}

/// Self or admin, then a local user's devices (cached briefly, per shape).
async fn answer(
    state: &AppState,
    user: &AuthedUser,
    params: &PathParams,
    shape: Shape,
) -> ApiResult<Response> {
    let target = params.get("userId");
    let is_self = target
        .as_deref()
        .is_ok_and(|id| id == user.user_id.as_str());
    if !is_self {
        user.require_admin()?;
    }
    let target = ids::parse_user_id(&target?)?;
    if !ids::is_local(&target, state.server_name()) {
        return Err(MatrixError::invalid_param("Can only whois a local user").into());
    }
    if let Some(body) = state.whois.get(shape, target.as_str()) {
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
    let devices = match shape {
        Shape::PerDevice => devices
            .into_iter()
            .map(|device| (device.device_id.clone(), WhoisDevice::from(device)))
            .collect(),
        Shape::Synapse => merged(devices),
    };
    let body = WhoisResponse {
        devices,
        user_id: target.to_string(),
    };
    // Rendered once and cached as bytes: a polled whois costs no serialization.
    let body = Bytes::from(serde_json::to_vec(&body).map_err(|error| {
        tracing::error!(%error, "cannot render a whois answer");
        ApiError::from(MatrixError::internal())
    })?);
    state
        .whois
        .insert_if_current(shape, target.as_str(), body.clone(), generation);
    Ok(json_response(body))
}

fn json_response(body: Bytes) -> Response {
    ([(CONTENT_TYPE, "application/json")], body).into_response()
}
