//! `POST /_matrix/client/{r0,v3}/logout/all`: revokes every token and device of the caller.

use axum::Json;
use axum::extract::State;
use bailiff_proto::accounts::LogoutAllRequest;

use super::Empty;
use crate::auth::AuthedUser;
use crate::error::ApiResult;
use crate::state::AppState;

/// Logs the caller out everywhere.
pub async fn post(State(state): State<AppState>, user: AuthedUser) -> ApiResult<Json<Empty>> {
    state
        .accounts()
        .logout_all(LogoutAllRequest {
            user_id: user.user_id.to_string(),
        })
        .await?;
    state.forget_user(user.user_id.as_str());
    Ok(Json(Empty {}))
}
