//! Identifiers from a peer, parsed once where a request enters the service. A malformed
//! one is `INVALID_ARGUMENT` (`400 M_INVALID_PARAM`) through [`Error`]; from there on the
//! operation holds ruma's typed IDs.

use bailiff_domain::{OwnedRoomId, OwnedUserId};

use super::{Error, Result};

/// A room ID field.
pub(crate) fn room_id(value: &str) -> Result<OwnedRoomId> {
    OwnedRoomId::try_from(value).map_err(|_| Error::invalid_argument("Invalid room ID"))
}

/// A user ID field.
pub(crate) fn user_id(value: &str) -> Result<OwnedUserId> {
    OwnedUserId::try_from(value).map_err(|_| Error::invalid_argument("Invalid user ID"))
}

/// A user ID field where "" means "none" (a trusted internal caller, no target, …).
pub(crate) fn optional_user_id(value: &str) -> Result<Option<OwnedUserId>> {
    if value.is_empty() {
        Ok(None)
    } else {
        user_id(value).map(Some)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn malformed_ids_are_invalid_arguments() {
        assert!(room_id("!r:hs").is_ok());
        assert!(user_id("@u:hs").is_ok());
        for bad in ["", "r:hs", "@u:hs"] {
            assert!(
                matches!(room_id(bad), Err(Error::InvalidArgument(_))),
                "{bad}"
            );
        }
        for bad in ["", "u:hs", "!r:hs", "@nocolon"] {
            assert!(
                matches!(user_id(bad), Err(Error::InvalidArgument(_))),
                "{bad}"
            );
        }
        assert!(matches!(optional_user_id(""), Ok(None)));
        assert!(optional_user_id("@u:hs").is_ok_and(|u| u.is_some()));
    }
}
