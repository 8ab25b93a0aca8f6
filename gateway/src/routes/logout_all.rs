//! `POST /_matrix/client/{r0,v3}/logout/all`: revokes every token and device of the caller.

use axum::Json;
use axum::extract::State;
use bailiff_proto::accounts::LogoutAllRequest;
use serde_json::{Value, json};

use crate::auth::AuthedUser;
use crate::error::ApiResult;
use crate::state::AppState;

pub async fn post(State(state): State<AppState>, user: AuthedUser) -> ApiResult<Json<Value>> {
    state
        .accounts()
        .logout_all(LogoutAllRequest {
            user_id: user.user_id.clone(),
        })
        .await?;
    state.forget_user(&user.user_id);
    Ok(Json(json!({})))
}
