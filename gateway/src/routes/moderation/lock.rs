//! `GET`/`PUT /_matrix/client/v1/admin/lock/{userId}` and the same under
//! `/_matrix/client/unstable/uk.timedout.msc4323` (admin; `docs/http-api.md` §9). The
//! checks are [`super::target`]'s; `PUT` then reads `{"locked": bool}` (absent
//! `400 M_MISSING_PARAM`, not a boolean `400 M_BAD_JSON`) and answers the new state.

use axum::Json;
use axum::extract::State;
use serde::{Deserialize, Serialize};

use super::target::{Access, Flag, moderated_user, set_flag};
use crate::auth::AdminUser;
use crate::error::ApiResult;
use crate::extract::{Field, JsonBody, PathParams};
use crate::state::AppState;

/// The answer of both methods: the state after the call.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Lock {
    /// Whether the account is locked.
    pub locked: bool,
}

/// The body of `PUT`.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(expecting = "an object")]
pub struct LockBody {
    /// `true` locks, `false` unlocks.
    #[schema(value_type = bool, required = true)]
    #[serde(default)]
    pub locked: Field<bool>,
}

/// Whether the user is locked.
pub async fn get(
    State(state): State<AppState>,
    AdminUser(admin): AdminUser,
    params: PathParams,
) -> ApiResult<Json<Lock>> {
    let (_, record) = moderated_user(&state, &admin, &params, Flag::Locked, Access::Read).await?;
    Ok(Json(Lock {
        locked: Flag::Locked.of(&record),
    }))
}

/// Locks or unlocks the user.
pub async fn put(
    State(state): State<AppState>,
    AdminUser(admin): AdminUser,
    params: PathParams,
    body: JsonBody,
) -> ApiResult<Json<Lock>> {
    let (user_id, _) =
        moderated_user(&state, &admin, &params, Flag::Locked, Access::Change).await?;
    let body: LockBody = body.parse_required()?;
    let value = body.locked.required("locked")?;
    let locked = set_flag(&state, &admin, &user_id, Flag::Locked, value).await?;
    Ok(Json(Lock { locked }))
}
