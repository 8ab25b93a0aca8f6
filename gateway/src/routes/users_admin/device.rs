//! `GET`/`PUT`/`DELETE /_synapse/admin/v2/users/{userId}/devices/{deviceId}` (admin).
//! Remote `400 M_UNKNOWN "Can only lookup local users"`, unknown user `404 M_NOT_FOUND
//! "Unknown user"`. `GET` of an unknown device `404 M_NOT_FOUND "No device found"`;
//! `PUT {"display_name"}` renames (`{}`); `DELETE` removes the device and its tokens
//! (`{}`, an unknown device is not an error; a body is accepted and ignored).

use axum::Json;
use axum::extract::State;
use bailiff_proto::accounts::{DeleteDevicesRequest, DeviceRequest, RenameDeviceRequest};
use matrix_status::MatrixError;
use ruma_common::OwnedUserId;
use serde::Deserialize;

use super::devices::AdminDevice;
use super::{accounts, local_user};
use crate::auth::AdminUser;
use crate::error::ApiResult;
use crate::extract::{Field, JsonBody, PathParams};
use crate::routes::Empty;
use crate::state::AppState;

/// The body of `PUT`.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(expecting = "an object")]
pub struct RenameDeviceBody {
    /// The new name; `null` or absent removes it.
    #[schema(value_type = Option<String>)]
    #[serde(default)]
    pub display_name: Field<String>,
}

fn target(state: &AppState, params: &PathParams) -> ApiResult<(OwnedUserId, String)> {
    let user_id = local_user(state, params, "Can only lookup local users")?;
    let device_id = params.get("deviceId")?;
    Ok((user_id, device_id))
}

/// `GET`: the device.
pub async fn get(
    State(state): State<AppState>,
    AdminUser(_admin): AdminUser,
    params: PathParams,
) -> ApiResult<Json<AdminDevice>> {
    let (user_id, device_id) = target(&state, &params)?;
    let device = accounts(&state)
        .get_device(DeviceRequest {
            user_id: user_id.to_string(),
            device_id,
        })
        .await?
        .into_inner();
    Ok(Json(AdminDevice::new(device, user_id.as_str())))
}

/// `PUT`: rename.
pub async fn put(
    State(state): State<AppState>,
    AdminUser(_admin): AdminUser,
    params: PathParams,
    body: JsonBody,
) -> ApiResult<Json<Empty>> {
    let (user_id, device_id) = target(&state, &params)?;
    let body: RenameDeviceBody = body.parse()?;
    let display_name = body.display_name.optional("display_name")?;
    if display_name
        .as_ref()
        .is_some_and(|name| name.chars().count() > 100)
    {
        return Err(MatrixError::invalid_param("Device display name is too long (max 100)").into());
    }
    accounts(&state)
        .rename_device(RenameDeviceRequest {
            user_id: user_id.to_string(),
            device_id,
            display_name,
        })
        .await?;
    Ok(Json(Empty {}))
}

/// `DELETE`: remove it and its tokens.
pub async fn delete(
    State(state): State<AppState>,
    AdminUser(_admin): AdminUser,
    params: PathParams,
) -> ApiResult<Json<Empty>> {
    let (user_id, device_id) = target(&state, &params)?;
    accounts(&state)
        .delete_devices(DeleteDevicesRequest {
            user_id: user_id.to_string(),
            device_ids: vec![device_id],
        })
        .await?;
    Ok(Json(Empty {}))
}
