//! Path parameters, decoded strictly and on demand.
//!
//! axum decodes percent escapes leniently (`%ZZ` stays as is) and rejects invalid UTF-8
//! with a non-Matrix error, so this extractor takes each parameter from the raw request
//! path instead, by lining it up with the matched route template. Decoding happens when
//! the handler asks, so authentication always comes first.

use axum::extract::{FromRequestParts, MatchedPath};
use http::request::Parts;
use matrix_status::MatrixError;
use ruma_common::{OwnedRoomId, OwnedUserId};

use super::ids;
use crate::error::ApiError;

/// The raw (still percent-encoded) path parameters of the matched route.
#[derive(Debug, Clone, Default)]
pub struct PathParams(Vec<(String, String)>);

impl PathParams {
    /// Builds the parameters from a route template (`/a/{x}/b`) and a raw path.
    pub fn from_template(template: &str, raw_path: &str) -> Self {
        let params = template
            .split('/')
            .zip(raw_path.split('/'))
            .filter_map(|(pattern, raw)| {
                let name = pattern.strip_prefix('{')?.strip_suffix('}')?;
                Some((name.to_owned(), raw.to_owned()))
            })
            .collect();
        Self(params)
    }

    /// The raw text of a parameter, as sent.
    pub fn raw(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.as_str())
    }

    /// A parameter, percent-decoded. A bad escape or invalid UTF-8 is
    /// `400 M_INVALID_PARAM`.
    pub fn get(&self, name: &str) -> Result<String, MatrixError> {
        let raw = self
            .raw(name)
            .ok_or_else(|| MatrixError::invalid_param(format!("Missing path parameter {name}")))?;
        percent_decode_strict(raw)
            .ok_or_else(|| MatrixError::invalid_param(format!("Invalid escape in {name}")))
    }
}

impl PathParams {
    /// A user ID parameter, full form (`400 M_INVALID_PARAM "Invalid user ID"` otherwise).
    pub fn user_id(&self, name: &str) -> Result<OwnedUserId, MatrixError> {
        ids::parse_user_id(&self.get(name)?)
    }

    /// A room ID parameter (`400 M_INVALID_PARAM "Invalid room ID"` otherwise).
    pub fn room_id(&self, name: &str) -> Result<OwnedRoomId, MatrixError> {
        ids::parse_room_id(&self.get(name)?)
    }
}

/// Decodes `%XX` escapes; `None` for a `%` not followed by two hex digits, or for bytes
/// that are not UTF-8.
pub fn percent_decode_strict(raw: &str) -> Option<String> {
    let bytes = raw.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = bytes.get(i + 1..i + 3)?;
            if !hex.iter().all(u8::is_ascii_hexdigit) {
                return None;
            }
            out.push(u8::from_str_radix(std::str::from_utf8(hex).ok()?, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

impl<S: Send + Sync> FromRequestParts<S> for PathParams {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let Some(template) = parts.extensions.get::<MatchedPath>() else {
            return Ok(Self::default());
        };
        Ok(Self::from_template(template.as_str(), parts.uri.path()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_strictly() {
        assert_eq!(percent_decode_strict("%40u%3Ahs").as_deref(), Some("@u:hs"));
        assert_eq!(percent_decode_strict("@u:hs").as_deref(), Some("@u:hs"));
        assert_eq!(percent_decode_strict("%ZZ"), None);
        assert_eq!(percent_decode_strict("%"), None);
        assert_eq!(percent_decode_strict("a%4"), None);
        assert_eq!(percent_decode_strict("%FF"), None);
        assert_eq!(percent_decode_strict("%+1"), None);
    }

    #[test]
    fn lines_up_with_the_template() {
        let params = PathParams::from_template("/a/{x}/b/{y}", "/a/%21r%3Ahs/b/@u:hs");
        assert_eq!(params.get("x").ok().as_deref(), Some("!r:hs"));
        assert_eq!(params.get("y").ok().as_deref(), Some("@u:hs"));
        assert!(params.get("z").is_err());
    }
}
