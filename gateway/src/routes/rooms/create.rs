//! `POST /_matrix/client/{r0,v3}/createRoom`.

use axum::Json;
use axum::extract::State;
use bailiff_proto::membership::{CreateRoomRequest, StateEventContent};
use matrix_status::MatrixError;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::{displayname, rooms};
use crate::auth::{AuthedUser, Suspendable};
use crate::error::ApiResult;
use crate::extract::{Field, JsonBody, ids};
use crate::state::AppState;

/// The body; every field is optional and `null` counts as absent. Types are checked as
/// the body is decoded, values (IDs, presets) afterwards.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct CreateRoomBody {
    pub name: Option<String>,
    pub topic: Option<String>,
    /// Full user IDs to invite.
    pub invite: Option<Vec<String>>,
    /// `private_chat`, `public_chat` or `trusted_private_chat`.
    pub preset: Option<String>,
    /// `public` or `private`.
    pub visibility: Option<String>,
    pub is_direct: Option<bool>,
    #[schema(value_type = Option<Object>)]
    pub creation_content: Option<Map<String, Value>>,
    #[schema(value_type = Option<Object>)]
    pub power_level_content_override: Option<Map<String, Value>>,
    pub initial_state: Option<Vec<InitialStateEvent>>,
}

/// One `initial_state` entry: `{type, state_key?, content}`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(expecting = "an object")]
pub struct InitialStateEvent {
    #[serde(rename = "type")]
    #[schema(value_type = String, required = true)]
    #[serde(default)]
    pub kind: Field<String>,
    /// Defaults to `""`.
    #[schema(value_type = Option<String>)]
    #[serde(default)]
    pub state_key: Field<String>,
    #[schema(value_type = Object, required = true)]
    #[serde(default)]
    pub content: Field<Map<String, Value>>,
}

impl InitialStateEvent {
    /// The entry for membership-svc; any malformed part is the one pinned `M_BAD_JSON`.
    fn into_proto(self) -> Result<StateEventContent, MatrixError> {
        let bad =
            || MatrixError::bad_json("initial_state must be a list of {type, state_key, content}");
        let state_key = self.state_key.optional("state_key").map_err(|_| bad())?;
        Ok(StateEventContent {
            r#type: self.kind.lenient().ok_or_else(bad)?,
            state_key: state_key.unwrap_or_default(),
            content: Value::Object(self.content.lenient().ok_or_else(bad)?).to_string(),
        })
    }
}

/// The answer.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct CreateRoomResponse {
    pub room_id: String,
}

/// Creates the room.
pub async fn post(
    State(state): State<AppState>,
    user: AuthedUser,
    body: JsonBody,
) -> ApiResult<Json<CreateRoomResponse>> {
    user.refuse_if_suspended(Suspendable::SendEvent)?;
    let body: CreateRoomBody = body.parse()?;
    let mut invite = Vec::new();
    for invitee in body.invite.unwrap_or_default() {
        invite.push(ids::parse_user_id(&invitee)?.to_string());
    }
    let preset = body.preset.unwrap_or_default();
    if !matches!(
        preset.as_str(),
        "" | "private_chat" | "public_chat" | "trusted_private_chat"
    ) {
        return Err(MatrixError::bad_json(format!("Unknown preset {preset:?}")).into());
    }
    let visibility = body.visibility.unwrap_or_default();
    if !matches!(visibility.as_str(), "" | "public" | "private") {
        return Err(MatrixError::bad_json("visibility must be public or private").into());
    }
    let object_text = |object: Option<Map<String, Value>>| {
        object
            .map(|object| Value::Object(object).to_string())
            .unwrap_or_default()
    };
    let initial_state = body
        .initial_state
        .unwrap_or_default()
        .into_iter()
        .map(InitialStateEvent::into_proto)
        .collect::<Result<Vec<_>, _>>()?;
    let creator_displayname = displayname(&state, &user.user_id).await;
    let created = rooms(&state)
        .create_room(CreateRoomRequest {
            creator: user.user_id.to_string(),
            name: body.name,
            topic: body.topic,
            invite,
            preset,
            is_direct: body.is_direct.unwrap_or(false),
            visibility,
            creation_content: object_text(body.creation_content),
            initial_state,
            power_level_content_override: object_text(body.power_level_content_override),
            server_notice_target: String::new(),
            creator_displayname,
            room_version: String::new(),
        })
        .await?
        .into_inner();
    Ok(Json(CreateRoomResponse {
        room_id: created.room_id,
    }))
}
