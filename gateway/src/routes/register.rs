//! Shared-secret registration, Synapse's form: `GET /_synapse/admin/v1/register` issues a
//! nonce; `POST` registers a user whose request carries an HMAC of the details keyed with
//! the configured secret. No auth.

use axum::Json;
use axum::extract::State;
use bailiff_proto::accounts::{ConsumeNonceRequest, CreateNonceRequest, RegisterUserRequest};
use matrix_status::{MatrixError, errcode};
use serde_json::{Value, json};

use crate::error::ApiResult;
use crate::extract::{JsonBody, ids};
use crate::mac::{mac_matches, registration_mac};
use crate::state::AppState;

/// Longest accepted username or password, in characters.
const MAX_FIELD_CHARS: usize = 512;

fn shared_secret(state: &AppState) -> Result<String, MatrixError> {
    state
        .config
        .registration_shared_secret
        .clone()
        .ok_or_else(|| {
            MatrixError::bad_request(
                errcode::UNKNOWN,
                "Shared secret registration is not enabled",
            )
        })
}

/// `GET`: a fresh single-use nonce.
pub async fn nonce(State(state): State<AppState>) -> ApiResult<Json<Value>> {
    shared_secret(&state)?;
    let nonce = state
        .accounts()
        .create_nonce(CreateNonceRequest {})
        .await?
        .into_inner()
        .nonce;
    Ok(Json(json!({ "nonce": nonce })))
}

/// A username or password: a string of at most 512 characters without NUL.
fn credential<'a>(
    value: Option<&'a Value>,
    key: &str,
    invalid: &str,
) -> Result<&'a str, MatrixError> {
    match value {
        None => Err(MatrixError::missing_param(format!(
            "Missing parameter: {key}"
        ))),
        Some(Value::String(s)) if s.chars().count() <= MAX_FIELD_CHARS && !s.contains('\0') => {
            Ok(s)
        }
        Some(_) => Err(MatrixError::invalid_param(invalid)),
    }
}

/// `POST`: checks in the order API.md §4 pins, then creates the user.
pub async fn register(State(state): State<AppState>, body: JsonBody) -> ApiResult<Json<Value>> {
    let secret = shared_secret(&state)?;
    let body = body.object()?;

    let nonce = match body.get("nonce") {
        None => return Err(MatrixError::missing_param("Missing parameter: nonce").into()),
        Some(Value::String(nonce)) => nonce.clone(),
        Some(_) => return Err(MatrixError::bad_json("Parameter nonce must be a string").into()),
    };
    // Consumed whatever happens next.
    state
        .accounts()
        .consume_nonce(ConsumeNonceRequest {
            nonce: nonce.clone(),
        })
        .await?;

    let username = credential(body.get("username"), "username", "Invalid username")?;
    let password = credential(body.get("password"), "password", "Invalid password")?;
    let user_type = match body.get("user_type") {
        None | Some(Value::Null) => None,
        Some(Value::String(t)) if t == "bot" || t == "support" => Some(t.as_str()),
        Some(_) => return Err(MatrixError::invalid_param("Invalid user type").into()),
    };
    let admin = match body.get("admin") {
        None => false,
        Some(Value::Bool(admin)) => *admin,
        Some(_) => return Err(MatrixError::bad_json("Parameter admin must be a boolean").into()),
    };
    let mac = match body.get("mac") {
        None => return Err(MatrixError::missing_param("Missing parameter: mac").into()),
        Some(Value::String(mac)) => mac,
        Some(_) => return Err(MatrixError::bad_json("Parameter mac must be a string").into()),
    };
    let expected = registration_mac(&secret, &nonce, username, password, admin, user_type);
    if !mac_matches(&expected, mac) {
        return Err(MatrixError::forbidden("HMAC incorrect").into());
    }

    let localpart = username.to_lowercase();
    if localpart == state.config.server_notices.local_part {
        return Err(
            MatrixError::bad_request(errcode::EXCLUSIVE, "This user ID is reserved.").into(),
        );
    }
    ids::validate_new_localpart(&localpart, state.server_name())?;
    let displayname = body.optional_str("displayname")?.map(str::to_owned);
    let device_id = body.optional_str("device_id")?.map(str::to_owned);
    let device_name = body
        .optional_str("initial_device_display_name")?
        .map(str::to_owned);
    let inhibit_login = body.bool_or("inhibit_login", false)?;

    let response = state
        .accounts()
        .register_user(RegisterUserRequest {
            localpart: localpart.clone(),
            password: password.to_owned(),
            admin,
            user_type: user_type.map(str::to_owned),
            displayname: Some(displayname.unwrap_or(localpart)),
            device_id,
            initial_device_display_name: device_name,
            inhibit_login,
        })
        .await?
        .into_inner();
    let mut answer = json!({
        "user_id": response.user_id,
        "home_server": state.server_name(),
    });
    if !inhibit_login {
        answer["access_token"] = response.access_token.into();
        answer["device_id"] = response.device_id.into();
    }
    Ok(Json(answer))
}
