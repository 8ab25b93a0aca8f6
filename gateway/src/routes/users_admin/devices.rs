//! `GET`/`POST /_synapse/admin/v2/users/{userId}/devices` (admin). Remote `400 M_UNKNOWN`
//! (`"Can only lookup local users"` / `"Can only create devices for local users"`),
//! unknown `404 M_NOT_FOUND "Unknown user"`. `GET` answers every device with where it was
//! last seen and the total (no paging: the UIs' list parameters are ignored). `POST
//! {"device_id"}` creates a device without a token: `201 {}`.

use axum::Json;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use bailiff_proto::accounts::{Device, DeviceRequest, ListDevicesRequest};
use http::StatusCode;
use matrix_status::MatrixError;
use serde::{Deserialize, Serialize};

use super::{accounts, local_user};
use crate::auth::AdminUser;
use crate::error::ApiResult;
use crate::extract::{Field, JsonBody, PathParams};
use crate::routes::Empty;
use crate::state::AppState;

/// One device, as Synapse's admin API shows it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct AdminDevice {
    pub device_id: String,
    pub display_name: Option<String>,
    pub last_seen_ip: Option<String>,
    pub last_seen_user_agent: Option<String>,
    /// Milliseconds since the epoch.
    pub last_seen_ts: Option<i64>,
    pub user_id: String,
    /// Always `false`: bailiff has no dehydrated devices.
    pub dehydrated: bool,
}

impl AdminDevice {
    pub(crate) fn new(device: Device, user_id: &str) -> Self {
        Self {
            device_id: device.device_id,
            display_name: device.display_name,
            last_seen_ip: device.last_seen_ip,
            last_seen_user_agent: device.last_seen_user_agent,
            last_seen_ts: device.last_seen_ts,
            user_id: user_id.to_owned(),
            dehydrated: false,
        }
    }
}

/// The answer of `GET`.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct DeviceList {
    pub devices: Vec<AdminDevice>,
    pub total: usize,
}

/// The body of `POST`.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(expecting = "an object")]
pub struct NewDeviceBody {
    #[schema(value_type = String, required = true)]
    #[serde(default)]
    pub device_id: Field<String>,
}

/// `GET`: every device.
pub async fn get(
    State(state): State<AppState>,
    AdminUser(_admin): AdminUser,
    params: PathParams,
) -> ApiResult<Json<DeviceList>> {
    let user_id = local_user(&state, &params, "Can only lookup local users")?;
    let user_id = user_id.to_string();
    let devices = accounts(&state)
        .list_devices(ListDevicesRequest {
            user_id: user_id.clone(),
        })
        .await?
        .into_inner()
        .devices;
    let devices: Vec<AdminDevice> = devices
        .into_iter()
        .map(|device| AdminDevice::new(device, &user_id))
        .collect();
    Ok(Json(DeviceList {
        total: devices.len(),
        devices,
    }))
}

/// `POST`: a device without a token.
pub async fn post(
    State(state): State<AppState>,
    AdminUser(_admin): AdminUser,
    params: PathParams,
    body: JsonBody,
) -> ApiResult<Response> {
    let user_id = local_user(&state, &params, "Can only create devices for local users")?;
    let body: NewDeviceBody = body.parse()?;
    let device_id = body.device_id.required("device_id")?;
    if device_id.is_empty() {
        return Err(MatrixError::missing_param("Missing parameter: device_id").into());
    }
    accounts(&state)
        .create_device(DeviceRequest {
            user_id: user_id.to_string(),
            device_id,
        })
        .await?;
    Ok((StatusCode::CREATED, Json(Empty {})).into_response())
}
