//! The body of the delete endpoints: `block`, `purge`, `force_purge`,
//! `new_room_user_id`, `room_name`, `message`, checked with Synapse's texts
//! (`synapse/rest/admin/rooms.py`, `RoomRestV2Servlet.on_DELETE`). Unknown keys are
//! ignored; an empty body counts as `{}`.

use bailiff_domain::OwnedUserId;
use matrix_status::MatrixError;
use serde_json::{Map, Value};

use crate::error::ApiError;
use crate::extract::JsonBody;
use crate::extract::ids::parse_user_id;

/// The delete endpoints' body, decoded.
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize, utoipa::ToSchema)]
pub struct DeleteRoomBody {
    /// Block the room against future joins and invites. Default `false`.
    #[serde(default)]
    pub block: bool,
    /// Remove every trace of the room afterwards. Default `true`.
    #[serde(default = "yes")]
    pub purge: bool,
    /// Accepted for compatibility: members always leave before the purge.
    #[serde(default)]
    pub force_purge: bool,
    /// A local user who creates a notification room the members are moved to.
    #[schema(value_type = Option<String>)]
    pub new_room_user_id: Option<OwnedUserId>,
    /// Name of that room (default "Content Violation Notification").
    pub room_name: Option<String>,
    /// Message posted in it.
    pub message: Option<String>,
}

fn yes() -> bool {
    true
}

impl DeleteRoomBody {
    /// Reads and checks the body.
    pub fn read(body: JsonBody) -> Result<Self, ApiError> {
        let object: Map<String, Value> = body.parse()?;
        Ok(Self {
            block: flag(&object, "block", false)?,
            purge: flag(&object, "purge", true)?,
            force_purge: flag(&object, "force_purge", false)?,
            new_room_user_id: text(&object, "new_room_user_id")?
                .map(|user| parse_user_id(&user))
                .transpose()?,
            room_name: text(&object, "room_name")?,
            message: text(&object, "message")?,
        })
    }
}

/// A boolean parameter: absent = `default`; anything but a boolean is refused, as
/// Synapse refuses it.
fn flag(object: &Map<String, Value>, name: &str, default: bool) -> Result<bool, MatrixError> {
    match object.get(name) {
        None => Ok(default),
        Some(Value::Bool(value)) => Ok(*value),
        Some(_) => Err(MatrixError::bad_json(format!(
            "Param '{name}' must be a boolean, if given"
        ))),
    }
}

/// A text parameter: absent or `null` = none.
fn text(object: &Map<String, Value>, name: &str) -> Result<Option<String>, MatrixError> {
    match object.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(value)) => Ok(Some(value.clone())),
        Some(_) => Err(MatrixError::bad_json(format!(
            "Param '{name}' must be a string, if given"
        ))),
    }
}
