//! Matrix identifiers, parsed with `ruma-common` (no hand-written grammar beyond what
//! registration policy adds).

use matrix_status::{MatrixError, errcode};
use ruma_common::{OwnedRoomId, OwnedUserId, RoomId, ServerName, UserId};

/// Longest user or room ID, in bytes.
pub const ID_MAX_BYTES: usize = 255;

fn invalid_user_id() -> MatrixError {
    MatrixError::invalid_param("Invalid user ID")
}

/// An existing user ID, full form, historical grammar.
pub fn parse_user_id(text: &str) -> Result<OwnedUserId, MatrixError> {
    let user_id = UserId::parse(text).map_err(|_| invalid_user_id())?;
    user_id
        .validate_historical()
        .map_err(|_| invalid_user_id())?;
    Ok(user_id)
}

/// A full user ID or a bare localpart (completed with `server_name`), historical grammar.
pub fn parse_user_id_or_localpart(
    text: &str,
    server_name: &str,
) -> Result<OwnedUserId, MatrixError> {
    if text.starts_with('@') {
        return parse_user_id(text);
    }
    let server = <&ServerName>::try_from(server_name).map_err(|_| invalid_user_id())?;
    let user_id = UserId::parse_with_server_name(text, server).map_err(|_| invalid_user_id())?;
    // The completed form is not length-checked by ruma; check it the same way.
    parse_user_id(user_id.as_str())
}

/// Whether a user belongs to this server.
pub fn is_local(user_id: &UserId, server_name: &str) -> bool {
    user_id.server_name().as_str() == server_name
}

/// A room ID: `!opaque:server_name`.
pub fn parse_room_id(text: &str) -> Result<OwnedRoomId, MatrixError> {
    let invalid = || MatrixError::invalid_param("Invalid room ID");
    let room_id = RoomId::parse(text).map_err(|_| invalid())?;
    let (_, server) = text.split_once(':').ok_or_else(invalid)?;
    <&ServerName>::try_from(server).map_err(|_| invalid())?;
    Ok(room_id)
}

fn invalid_username(message: &str) -> MatrixError {
    MatrixError::bad_request(errcode::INVALID_USERNAME, message)
}

/// Checks a new (already lower-cased) localpart against the registration policy:
/// `400 M_INVALID_USERNAME` when empty, with characters outside `a-z 0-9 . _ = - / +`,
/// a leading `_`, all digits, or a resulting user ID over 255 bytes.
pub fn validate_new_localpart(localpart: &str, server_name: &str) -> Result<(), MatrixError> {
    if localpart.is_empty() {
        return Err(invalid_username("User ID cannot be empty"));
    }
    if !matches!(
        ruma_common::user_id::localpart_is_fully_conforming(localpart),
        Ok(true)
    ) {
        return Err(invalid_username(
            "User ID can only contain characters a-z, 0-9, or '=_-./+'",
        ));
    }
    if localpart.starts_with('_') {
        return Err(invalid_username("User ID may not begin with _"));
    }
    if localpart.bytes().all(|b| b.is_ascii_digit()) {
        return Err(invalid_username(
            "Numeric user IDs are reserved for guest users.",
        ));
    }
    if format!("@{localpart}:{server_name}").len() > ID_MAX_BYTES {
        return Err(invalid_username(
            "User ID may not be longer than 255 characters",
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_user_ids() {
        assert!(parse_user_id("@alice:hs").is_ok());
        assert!(parse_user_id("@Alice.Historical!:hs").is_ok());
        assert!(parse_user_id("alice").is_err());
        assert!(parse_user_id("@alice").is_err());
        assert!(parse_user_id("@:hs").is_err());
        assert!(parse_user_id("@a b:hs").is_err());
        assert!(parse_user_id(&format!("@{}:hs", "a".repeat(300))).is_err());
        let id = parse_user_id_or_localpart("bob", "hs").ok();
        assert_eq!(id.as_ref().map(|i| i.as_str()), Some("@bob:hs"));
        assert!(parse_user_id_or_localpart("bo:b", "hs").is_err());
        assert!(parse_user_id_or_localpart(&"a".repeat(300), "hs").is_err());
        assert!(parse_room_id("!r:hs").is_ok());
        assert!(parse_room_id("!r").is_err());
        assert!(parse_room_id("r:hs").is_err());
    }

    #[test]
    fn checks_new_localparts() {
        let code = |l: &str| validate_new_localpart(l, "hs").err().map(|e| e.errcode);
        assert_eq!(code("alice"), None);
        assert_eq!(code("a.b_c=d-e/f+g"), None);
        assert_eq!(code(""), Some("M_INVALID_USERNAME"));
        assert_eq!(code("Alice"), Some("M_INVALID_USERNAME"));
        assert_eq!(code("a b"), Some("M_INVALID_USERNAME"));
        assert_eq!(code("_x"), Some("M_INVALID_USERNAME"));
        assert_eq!(code("1234"), Some("M_INVALID_USERNAME"));
        assert_eq!(code(&"a".repeat(260)), Some("M_INVALID_USERNAME"));
    }
}
