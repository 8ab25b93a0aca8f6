//! `GET`/`POST /_matrix/client/{r0,v3}/login`: password login.

use axum::Json;
use axum::extract::State;
use bailiff_proto::accounts::LoginRequest;
use matrix_status::{MatrixError, errcode};
use serde_json::{Value, json};

use crate::error::ApiResult;
use crate::extract::{JsonBody, JsonObject, ids};
use crate::state::AppState;

/// `GET`: the supported login flows.
pub async fn flows() -> Json<Value> {
    Json(json!({ "flows": [{ "type": "m.login.password" }] }))
}

fn invalid_login() -> MatrixError {
    MatrixError::forbidden("Invalid username or password")
}

/// `POST`: `m.login.password` with identifier `m.id.user` or the legacy `user`.
pub async fn login(State(state): State<AppState>, body: JsonBody) -> ApiResult<Json<Value>> {
    let body = body.object()?;
    let kind = body.required_str("type")?;
    if kind != "m.login.password" {
        return Err(MatrixError::bad_request(errcode::UNKNOWN, "Unknown login type").into());
    }
    let user = match body.optional_object("identifier")? {
        Some(identifier) => {
            let identifier = JsonObject(identifier.clone());
            if identifier.required_str("type")? != "m.id.user" {
                return Err(MatrixError::bad_request(
                    errcode::UNKNOWN,
                    "Unknown login identifier type",
                )
                .into());
            }
            identifier.required_str("user")?.to_owned()
        }
        None => body.required_str("user")?.to_owned(),
    };
    let password = body.required_str("password")?.to_owned();
    let device_id = body.optional_str("device_id")?.map(str::to_owned);
    let display_name = body
        .optional_str("initial_device_display_name")?
        .map(str::to_owned);

    // A full ID must be ours; anything unparseable simply cannot log in.
    let user_id =
        ids::parse_user_id_or_localpart(&user, state.server_name()).map_err(|_| invalid_login())?;
    if !ids::is_local(&user_id, state.server_name()) {
        return Err(invalid_login().into());
    }
    let response = state
        .accounts()
        .login(LoginRequest {
            localpart: user_id.localpart().to_owned(),
            password,
            device_id,
            initial_device_display_name: display_name,
        })
        .await?
        .into_inner();
    Ok(Json(json!({
        "user_id": response.user_id,
        "access_token": response.access_token,
        "device_id": response.device_id,
        "home_server": state.server_name(),
    })))
}
