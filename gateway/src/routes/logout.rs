//! `POST /_matrix/client/{r0,v3}/logout`: revokes the caller's token and device.

use axum::Json;
use axum::extract::State;
use bailiff_proto::accounts::LogoutRequest;

use super::Empty;
use crate::auth::AuthedUser;
use crate::error::ApiResult;
use crate::state::AppState;

/// Logs the caller out.
pub async fn post(State(state): State<AppState>, user: AuthedUser) -> ApiResult<Json<Empty>> {
    state
        .accounts()
        .logout(LogoutRequest {
            access_token: user.access_token().to_owned(),
        })
        .await?;
    // This replica refuses the token from the very next request; others learn over the bus.
    state.tokens.invalidate_token(&user.token_hash());
    state.whois.invalidate_user(user.user_id.as_str());
    Ok(Json(Empty {}))
}
