//! `POST /_synapse/admin/v2/users/{userId}/delete_devices` (admin): `{"devices": [...]}`
//! (`400 M_MISSING_PARAM` when absent, `400 M_BAD_JSON` when not a list of strings)
//! removes those devices and their tokens; unknown ones are skipped. `200 {}`.

use axum::Json;
use axum::extract::State;
use bailiff_proto::accounts::DeleteDevicesRequest;
use serde::Deserialize;

use super::{accounts, local_user};
use crate::auth::AdminUser;
use crate::error::ApiResult;
use crate::extract::{Field, JsonBody, PathParams};
use crate::routes::Empty;
use crate::state::AppState;

/// The body.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(expecting = "an object")]
pub struct DeleteDevicesBody {
    /// Device IDs.
    #[schema(value_type = Vec<String>, required = true)]
    #[serde(default)]
    pub devices: Field<Vec<String>>,
}

/// Remove the devices.
pub async fn post(
    State(state): State<AppState>,
    AdminUser(_admin): AdminUser,
    params: PathParams,
    body: JsonBody,
) -> ApiResult<Json<Empty>> {
    let user_id = local_user(&state, &params, "Can only lookup local users")?;
    let body: DeleteDevicesBody = body.parse()?;
    let devices = body.devices.required("devices")?;
    accounts(&state)
        .delete_devices(DeleteDevicesRequest {
            user_id: user_id.to_string(),
            device_ids: devices,
        })
        .await?;
    Ok(Json(Empty {}))
}
