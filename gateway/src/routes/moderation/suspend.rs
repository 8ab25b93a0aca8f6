//! `GET`/`PUT /_matrix/client/v1/admin/suspend/{userId}` and the same under
//! `/_matrix/client/unstable/uk.timedout.msc4323` (admin; `docs/http-api.md` §9). The
//! checks are [`super::target`]'s; `PUT` then reads `{"suspended": bool}` (absent
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
pub struct Suspension {
    /// Whether the account is suspended.
    pub suspended: bool,
}

/// The body of `PUT`.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(expecting = "an object")]
pub struct SuspensionBody {
    /// `true` suspends, `false` lifts the suspension.
    #[schema(value_type = bool, required = true)]
    #[serde(default)]
    pub suspended: Field<bool>,
}

/// Whether the user is suspended.
pub async fn get(
    State(state): State<AppState>,
    AdminUser(admin): AdminUser,
    params: PathParams,
) -> ApiResult<Json<Suspension>> {
    let (_, record) =
        moderated_user(&state, &admin, &params, Flag::Suspended, Access::Read).await?;
    Ok(Json(Suspension {
        suspended: Flag::Suspended.of(&record),
    }))
}

/// Suspends the user or lifts the suspension.
pub async fn put(
    State(state): State<AppState>,
    AdminUser(admin): AdminUser,
    params: PathParams,
    body: JsonBody,
) -> ApiResult<Json<Suspension>> {
    let (user_id, _) =
        moderated_user(&state, &admin, &params, Flag::Suspended, Access::Change).await?;
    let body: SuspensionBody = body.parse_required()?;
    let value = body.suspended.required("suspended")?;
    let suspended = set_flag(&state, &admin, &user_id, Flag::Suspended, value).await?;
    Ok(Json(Suspension { suspended }))
}
