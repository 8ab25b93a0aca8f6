//! `GET`/`POST /_matrix/client/{r0,v3}/login`: password login.

use axum::Json;
use axum::extract::State;
use bailiff_proto::accounts::LoginRequest;
use matrix_status::{MatrixError, errcode};
use serde::{Deserialize, Serialize};

use crate::client_ip::RequestOrigin;
use crate::error::ApiResult;
use crate::extract::{Field, JsonBody, ids};
use crate::state::AppState;

/// The only login type.
const PASSWORD: &str = "m.login.password";

/// The answer of `GET`.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct LoginFlows {
    pub flows: Vec<LoginFlow>,
}

/// One supported flow.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct LoginFlow {
    /// `m.login.password`.
    #[serde(rename = "type")]
    #[schema(value_type = String)]
    pub kind: &'static str,
}

/// The body of `POST`, decoded field by field in the pinned order.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(expecting = "an object")]
pub struct LoginBody {
    /// `m.login.password`.
    #[serde(rename = "type")]
    #[schema(value_type = String, required = true)]
    #[serde(default)]
    pub kind: Field<String>,
    /// Who logs in; the legacy `user` is read when absent.
    #[schema(value_type = Option<LoginIdentifier>)]
    #[serde(default)]
    pub identifier: Field<LoginIdentifier>,
    /// Legacy: a localpart or a full user ID.
    #[schema(value_type = Option<String>)]
    #[serde(default)]
    pub user: Field<String>,
    #[schema(value_type = String, required = true)]
    #[serde(default)]
    pub password: Field<String>,
    #[schema(value_type = Option<String>)]
    #[serde(default)]
    pub device_id: Field<String>,
    #[schema(value_type = Option<String>)]
    #[serde(default)]
    pub initial_device_display_name: Field<String>,
}

/// `{"type": "m.id.user", "user": …}`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(expecting = "an object")]
pub struct LoginIdentifier {
    /// `m.id.user`.
    #[serde(rename = "type")]
    #[schema(value_type = String, required = true)]
    #[serde(default)]
    pub kind: Field<String>,
    /// A localpart or a full user ID.
    #[schema(value_type = String, required = true)]
    #[serde(default)]
    pub user: Field<String>,
}

/// The answer of `POST`. Fields are in key order, as the untyped answer was rendered.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct LoginResponse {
    pub access_token: String,
    pub device_id: String,
    pub home_server: String,
    pub user_id: String,
}

/// `GET`: the supported login flows.
pub async fn flows() -> Json<LoginFlows> {
    Json(LoginFlows {
        flows: vec![LoginFlow { kind: PASSWORD }],
    })
}

fn invalid_login() -> MatrixError {
    MatrixError::forbidden("Invalid username or password")
}

/// `POST`: `m.login.password` with identifier `m.id.user` or the legacy `user`.
pub async fn login(
    State(state): State<AppState>,
    origin: RequestOrigin,
    body: JsonBody,
) -> ApiResult<Json<LoginResponse>> {
    let body: LoginBody = body.parse()?;
    if body.kind.required("type")? != PASSWORD {
        return Err(MatrixError::bad_request(errcode::UNKNOWN, "Unknown login type").into());
    }
    let user = match body.identifier.optional("identifier")? {
        Some(identifier) => {
            if identifier.kind.required("type")? != "m.id.user" {
                return Err(MatrixError::bad_request(
                    errcode::UNKNOWN,
                    "Unknown login identifier type",
                )
                .into());
            }
            identifier.user.required("user")?
        }
        None => body.user.required("user")?,
    };
    let password = body.password.required("password")?;
    let device_id = body.device_id.optional("device_id")?;
    let display_name = body
        .initial_device_display_name
        .optional("initial_device_display_name")?;
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
    // The login itself is the new device's first connection.
    state
        .client_ips
        .record_origin(&origin, &response.user_id, &response.device_id);
    Ok(Json(LoginResponse {
        access_token: response.access_token,
        device_id: response.device_id,
        home_server: state.server_name().to_owned(),
        user_id: response.user_id,
    }))
}
