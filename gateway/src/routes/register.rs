//! Shared-secret registration, Synapse's form: `GET /_synapse/admin/v1/register` issues a
//! nonce; `POST` registers a user whose request carries an HMAC of the details keyed with
//! the configured secret. No auth.

use axum::Json;
use axum::extract::State;
use bailiff_proto::accounts::{ConsumeNonceRequest, CreateNonceRequest, RegisterUserRequest};
use matrix_status::{MatrixError, errcode};
use serde::{Deserialize, Serialize};

use crate::error::ApiResult;
use crate::extract::{Field, JsonBody, ids};
use crate::mac::{mac_matches, registration_mac};
use crate::state::AppState;

/// Longest accepted username or password, in characters.
const MAX_FIELD_CHARS: usize = 512;

/// The answer of `GET`.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct NonceResponse {
    /// Single-use, to be signed into the registration's `mac`.
    pub nonce: String,
}

/// The body of `POST`. Every field is decoded when its turn in the pinned order comes.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct RegisterBody {
    #[schema(value_type = String, required = true)]
    #[serde(default)]
    pub nonce: Field<String>,
    /// At most 512 characters, no NUL.
    #[schema(value_type = String, required = true)]
    #[serde(default)]
    pub username: Field<String>,
    /// At most 512 characters, no NUL.
    #[schema(value_type = String, required = true)]
    #[serde(default)]
    pub password: Field<String>,
    /// Hex HMAC-SHA1 of `nonce\0username\0password\0admin|notadmin[\0user_type]`.
    #[schema(value_type = String, required = true)]
    #[serde(default)]
    pub mac: Field<String>,
    #[schema(value_type = Option<bool>)]
    #[serde(default)]
    pub admin: Field<bool>,
    #[schema(value_type = Option<UserType>)]
    #[serde(default)]
    pub user_type: Field<UserType>,
    #[schema(value_type = Option<String>)]
    #[serde(default)]
    pub displayname: Field<String>,
    #[schema(value_type = Option<String>)]
    #[serde(default)]
    pub device_id: Field<String>,
    #[schema(value_type = Option<String>)]
    #[serde(default)]
    pub initial_device_display_name: Field<String>,
    #[schema(value_type = Option<bool>)]
    #[serde(default)]
    pub inhibit_login: Field<bool>,
}

/// The kinds of account registration may create besides a normal one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum UserType {
    Bot,
    Support,
}

impl UserType {
    /// The wire text, also signed into the MAC.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Bot => "bot",
            Self::Support => "support",
        }
    }
}

/// The answer of `POST`; no token or device when `inhibit_login` was set. Fields are in
/// key order, as the untyped answers were rendered (the wire stays byte-identical).
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct RegisterResponse {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub access_token: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub device_id: Option<String>,
    pub home_server: String,
    pub user_id: String,
}

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
pub async fn nonce(State(state): State<AppState>) -> ApiResult<Json<NonceResponse>> {
    shared_secret(&state)?;
    let nonce = state
        .accounts()
        .create_nonce(CreateNonceRequest {})
        .await?
        .into_inner()
        .nonce;
    Ok(Json(NonceResponse { nonce }))
}

/// A username or password: a string of at most 512 characters without NUL; absent is
/// `M_MISSING_PARAM`, anything else refused is `M_INVALID_PARAM` (`invalid`).
fn credential(field: Field<String>, key: &str, invalid: &str) -> Result<String, MatrixError> {
    if !field.is_present() {
        return Err(MatrixError::missing_param(format!(
            "Missing parameter: {key}"
        )));
    }
    field
        .lenient()
        .filter(|s| s.chars().count() <= MAX_FIELD_CHARS && !s.contains('\0'))
        .ok_or_else(|| MatrixError::invalid_param(invalid))
}

/// `POST`: checks in the order `docs/http-api.md` pins, then creates the user.
pub async fn register(
    State(state): State<AppState>,
    origin: crate::client_ip::RequestOrigin,
    body: JsonBody,
) -> ApiResult<Json<RegisterResponse>> {
    let secret = shared_secret(&state)?;
    let body: RegisterBody = body.parse()?;

    let nonce = body.nonce.required("nonce")?;
    // Consumed whatever happens next.
    state
        .accounts()
        .consume_nonce(ConsumeNonceRequest {
            nonce: nonce.clone(),
        })
        .await?;

    let username = credential(body.username, "username", "Invalid username")?;
    let password = credential(body.password, "password", "Invalid password")?;
    let user_type = match body.user_type.raw() {
        None | Some(serde_json::Value::Null) => None,
        Some(_) => Some(
            body.user_type
                .lenient()
                .ok_or_else(|| MatrixError::invalid_param("Invalid user type"))?,
        ),
    };
    let admin = body.admin.unless_absent("admin")?.unwrap_or(false);
    let mac = body.mac.required("mac")?;
    let expected = registration_mac(
        &secret,
        &nonce,
        &username,
        &password,
        admin,
        user_type.map(UserType::as_str),
    );
    if !mac_matches(&expected, &mac) {
        return Err(MatrixError::forbidden("HMAC incorrect").into());
    }

    let localpart = username.to_lowercase();
    if localpart == state.config.server_notices.local_part {
        return Err(
            MatrixError::bad_request(errcode::EXCLUSIVE, "This user ID is reserved.").into(),
        );
    }
    ids::validate_new_localpart(&localpart, state.server_name())?;
    let displayname = body.displayname.optional("displayname")?;
    let device_id = body.device_id.optional("device_id")?;
    let device_name = body
        .initial_device_display_name
        .optional("initial_device_display_name")?;
    let inhibit_login = body
        .inhibit_login
        .optional("inhibit_login")?
        .unwrap_or(false);

    let response = state
        .accounts()
        .register_user(RegisterUserRequest {
            localpart: localpart.clone(),
            password,
            admin,
            user_type: user_type.map(|t| t.as_str().to_owned()),
            displayname: Some(displayname.unwrap_or(localpart)),
            device_id,
            initial_device_display_name: device_name,
            inhibit_login,
        })
        .await?
        .into_inner();
    let (access_token, device_id) = if inhibit_login {
        (None, None)
    } else {
        // The registration is the new device's first connection (whois lists it).
        state
            .client_ips
            .record_origin(&origin, &response.user_id, &response.device_id);
        (Some(response.access_token), Some(response.device_id))
    };
    Ok(Json(RegisterResponse {
        user_id: response.user_id,
        home_server: state.server_name().to_owned(),
        access_token,
        device_id,
    }))
}
