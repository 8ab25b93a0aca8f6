//! Event contents the service writes itself, typed with ruma-events' content structs
//! and encoded the way the store has always held them: through a `serde_json::Value`,
//! so keys come out sorted and the stored bytes do not depend on ruma's field order.

use ruma_events::room::member::{MembershipState, RoomMemberEventContent};
use serde::Serialize;

use crate::error::{Error, Result};

/// The JSON text stored for `content`.
pub(crate) fn encode<C: Serialize>(content: &C) -> Result<String> {
    serde_json::to_value(content)
        .map(|value| value.to_string())
        .map_err(Error::Encode)
}

/// A fresh `m.room.member` content with only `membership` set; callers fill in the
/// optional fields they have.
pub(crate) fn member(membership: MembershipState) -> RoomMemberEventContent {
    RoomMemberEventContent::new(membership)
}
