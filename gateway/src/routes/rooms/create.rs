//! `POST /_matrix/client/{r0,v3}/createRoom`.

use axum::Json;
use axum::extract::State;
use bailiff_proto::membership::{CreateRoomRequest, StateEventContent};
use matrix_status::MatrixError;
use serde_json::{Value, json};

use super::{displayname, rooms};
use crate::auth::AuthedUser;
use crate::error::ApiResult;
use crate::extract::{JsonBody, ids};
use crate::state::AppState;

pub async fn post(
    State(state): State<AppState>,
    user: AuthedUser,
    body: JsonBody,
) -> ApiResult<Json<Value>> {
    let body = body.object()?;
    let name = body.optional_str("name")?.map(str::to_owned);
    let topic = body.optional_str("topic")?.map(str::to_owned);
    let mut invite = Vec::new();
    for invitee in body.optional_str_array("invite")?.unwrap_or_default() {
        invite.push(ids::parse_user_id(invitee)?.to_string());
    }
    let preset = body.optional_str("preset")?.unwrap_or_default();
    if !matches!(
        preset,
        "" | "private_chat" | "public_chat" | "trusted_private_chat"
    ) {
        return Err(MatrixError::bad_json(format!("Unknown preset {preset:?}")).into());
    }
    let visibility = body.optional_str("visibility")?.unwrap_or_default();
    if !matches!(visibility, "" | "public" | "private") {
        return Err(MatrixError::bad_json("visibility must be public or private").into());
    }
    let is_direct = body.bool_or("is_direct", false)?;
    let creation_content = body
        .optional_object("creation_content")?
        .map(|object| Value::Object(object.clone()).to_string())
        .unwrap_or_default();
    let power_level_content_override = body
        .optional_object("power_level_content_override")?
        .map(|object| Value::Object(object.clone()).to_string())
        .unwrap_or_default();
    let initial_state = initial_state(body.get("initial_state"))?;

    let creator_displayname = displayname(&state, &user.user_id).await;
    let created = rooms(&state)
        .create_room(CreateRoomRequest {
            creator: user.user_id.clone(),
            name,
            topic,
            invite,
            preset: preset.to_owned(),
            is_direct,
            visibility: visibility.to_owned(),
            creation_content,
            initial_state,
            power_level_content_override,
            server_notice_target: String::new(),
            creator_displayname,
            room_version: String::new(),
        })
        .await?
        .into_inner();
    Ok(Json(json!({ "room_id": created.room_id })))
}

/// `initial_state`: a list of `{type, state_key?, content}` objects.
fn initial_state(value: Option<&Value>) -> Result<Vec<StateEventContent>, MatrixError> {
    let bad =
        || MatrixError::bad_json("initial_state must be a list of {type, state_key, content}");
    let items = match value {
        None | Some(Value::Null) => return Ok(Vec::new()),
        Some(Value::Array(items)) => items,
        Some(_) => return Err(bad()),
    };
    items
        .iter()
        .map(|item| {
            let event_type = item.get("type").and_then(Value::as_str).ok_or_else(bad)?;
            let state_key = match item.get("state_key") {
                None | Some(Value::Null) => "",
                Some(Value::String(key)) => key,
                Some(_) => return Err(bad()),
            };
            let content = item
                .get("content")
                .filter(|c| c.is_object())
                .ok_or_else(bad)?;
            Ok(StateEventContent {
                r#type: event_type.to_owned(),
                state_key: state_key.to_owned(),
                content: content.to_string(),
            })
        })
        .collect()
}
