//! `GET`/`PUT /_synapse/admin/v1/users/{userId}/admin` (admin). Remote `400 M_UNKNOWN
//! "Only local users can be admins of this homeserver"`. `GET` answers `{"admin": bool}`
//! (`false` for an unknown local user, as Synapse). `PUT` needs `admin`
//! (`400 M_MISSING_PARAM "Missing params: ['admin']"`), read with Python's truthiness as
//! Synapse's `bool()`; demoting yourself is `400 M_UNKNOWN "You may not demote
//! yourself."`; `200 {}`. Takes effect on every gateway within a second (accounts-svc
//! publishes the change).

use axum::Json;
use axum::extract::State;
use bailiff_proto::accounts::{GetUserRequest, SetAdminRequest};
use matrix_status::{MatrixError, errcode};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::{accounts, local_user};
use crate::auth::AdminUser;
use crate::error::{ApiError, ApiResult};
use crate::extract::{Field, JsonBody, PathParams};
use crate::routes::Empty;
use crate::state::AppState;

const REMOTE: &str = "Only local users can be admins of this homeserver";

/// The answer of `GET`.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct AdminFlag {
    pub admin: bool,
}

/// The body of `PUT`.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(expecting = "an object")]
pub struct AdminFlagBody {
    /// Any JSON; read as Python's `bool()` reads it.
    #[schema(value_type = bool, required = true)]
    #[serde(default)]
    pub admin: Field<Value>,
}

/// Python's truthiness.
fn truthy(value: &Value) -> bool {
    match value {
        Value::Null => false,
        Value::Bool(b) => *b,
        Value::Number(n) => n.as_f64().is_some_and(|n| n != 0.0),
        Value::String(s) => !s.is_empty(),
        Value::Array(a) => !a.is_empty(),
        Value::Object(o) => !o.is_empty(),
    }
}

/// `GET`.
pub async fn get(
    State(state): State<AppState>,
    AdminUser(_admin): AdminUser,
    params: PathParams,
) -> ApiResult<Json<AdminFlag>> {
    let user_id = local_user(&state, &params, REMOTE)?;
    let answer = accounts(&state)
        .get_user(GetUserRequest {
            user_id: user_id.to_string(),
        })
        .await;
    match answer {
        Ok(user) => Ok(Json(AdminFlag {
            admin: user.into_inner().is_admin,
        })),
        Err(status) => {
            let error = ApiError::from(status);
            if error.matrix().errcode == errcode::NOT_FOUND {
                Ok(Json(AdminFlag { admin: false }))
            } else {
                Err(error)
            }
        }
    }
}

/// `PUT`.
pub async fn put(
    State(state): State<AppState>,
    AdminUser(admin): AdminUser,
    params: PathParams,
    body: JsonBody,
) -> ApiResult<Json<Empty>> {
    let user_id = local_user(&state, &params, REMOTE)?;
    let body: AdminFlagBody = body.parse()?;
    let Some(value) = body.admin.raw() else {
        return Err(MatrixError::missing_param("Missing params: ['admin']").into());
    };
    let set_admin = truthy(value);
    if user_id == admin.user_id && !set_admin {
        return Err(
            MatrixError::bad_request(errcode::UNKNOWN, "You may not demote yourself.").into(),
        );
    }
    let answer = accounts(&state)
        .set_admin(SetAdminRequest {
            user_id: user_id.to_string(),
            admin: set_admin,
        })
        .await;
    // Synapse updates no row for an unknown user and answers `{}` all the same.
    if let Err(status) = answer {
        let error = ApiError::from(status);
        if error.matrix().errcode != errcode::NOT_FOUND {
            return Err(error);
        }
    }
    Ok(Json(Empty {}))
}
