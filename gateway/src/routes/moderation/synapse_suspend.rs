//! `PUT /_synapse/admin/v1/suspend/{userId}` with `{"suspend": bool}` (admin): Synapse's
//! own form (`synapse/rest/admin/users.py`, `SuspendAccountRestServlet`), which Ketesa
//! uses. It sets the same flag as the spec's endpoints, in Synapse's order and words:
//! malformed `400 M_INVALID_PARAM`, remote `400 M_UNKNOWN "Can only suspend local
//! users"`, unknown `404 M_NOT_FOUND "User not found"` (a deactivated user is found, as
//! in Synapse), then the body (`suspend` absent `400 M_MISSING_PARAM`, not a boolean
//! `400 M_BAD_JSON`). Answers `200 {"user_<userId>_suspended": bool}`.

use std::collections::BTreeMap;

use axum::Json;
use axum::extract::State;
use bailiff_proto::accounts::GetUserRecordRequest;
use serde::{Deserialize, Serialize};

use super::target::{Flag, set_flag};
use crate::auth::AdminUser;
use crate::error::ApiResult;
use crate::extract::{Field, JsonBody, PathParams};
use crate::routes::users_admin::local_user;
use crate::state::AppState;

/// The body.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(expecting = "an object")]
pub struct SuspendBody {
    /// `true` suspends, `false` lifts the suspension.
    #[schema(value_type = bool, required = true)]
    #[serde(default)]
    pub suspend: Field<bool>,
}

/// The answer: one key, `user_<userId>_suspended`, named after the user as Synapse
/// names it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct SuspendAnswer {
    /// `user_<userId>_suspended` → the flag after the call.
    #[serde(flatten)]
    pub suspended: BTreeMap<String, bool>,
}

/// Suspends the user or lifts the suspension.
pub async fn put(
    State(state): State<AppState>,
    AdminUser(admin): AdminUser,
    params: PathParams,
    body: JsonBody,
) -> ApiResult<Json<SuspendAnswer>> {
    let user_id = local_user(&state, &params, "Can only suspend local users")?;
    state
        .accounts()
        .get_user_record(GetUserRecordRequest {
            user_id: user_id.to_string(),
        })
        .await?;
    let body: SuspendBody = body.parse_required()?;
    let value = body.suspend.required("suspend")?;
    let suspended = set_flag(&state, &admin, &user_id, Flag::Suspended, value).await?;
    Ok(Json(SuspendAnswer {
        suspended: BTreeMap::from([(format!("user_{user_id}_suspended"), suspended)]),
    }))
}
