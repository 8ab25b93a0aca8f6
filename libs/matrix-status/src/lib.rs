//! The project's one error vocabulary.
//!
//! Services return `tonic::Status` whose `google.rpc.ErrorInfo` detail carries the
//! Matrix errcode (as `reason`, with domain [`ERROR_DOMAIN`]) and the HTTP status to
//! answer with (metadata key `http_status`). The gateway turns that back into
//! `{"errcode", "error"}` with the right HTTP status, without matching on strings.

use std::collections::HashMap;

use serde::Serialize;
use tonic::{Code, Status};
use tonic_types::{ErrorDetails, StatusExt};

#[cfg(test)]
mod tests;

/// `ErrorInfo.domain` for errors that carry a Matrix errcode.
pub const ERROR_DOMAIN: &str = "matrix.admin";

/// A Matrix error as clients see it: HTTP status, errcode and human text.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{status} {errcode}: {message}")]
pub struct MatrixError {
    /// HTTP status code to answer with.
    pub status: u16,
    /// The `M_…` code.
    pub errcode: &'static str,
    /// Human-readable text; never internal detail for 5xx.
    pub message: String,
    /// Extra keys rendered beside errcode/error (e.g. `soft_logout`).
    pub extra: Vec<(&'static str, serde_json::Value)>,
}

/// Errcodes used by the project, so callers name them instead of spelling strings.
pub mod errcode {
    pub const BAD_JSON: &str = "M_BAD_JSON";
    pub const NOT_JSON: &str = "M_NOT_JSON";
    pub const FORBIDDEN: &str = "M_FORBIDDEN";
    pub const UNKNOWN_TOKEN: &str = "M_UNKNOWN_TOKEN";
    pub const MISSING_TOKEN: &str = "M_MISSING_TOKEN";
    pub const NOT_FOUND: &str = "M_NOT_FOUND";
    pub const UNRECOGNIZED: &str = "M_UNRECOGNIZED";
    pub const INVALID_PARAM: &str = "M_INVALID_PARAM";
    pub const MISSING_PARAM: &str = "M_MISSING_PARAM";
    pub const TOO_LARGE: &str = "M_TOO_LARGE";
    pub const UNKNOWN: &str = "M_UNKNOWN";
    pub const UNAVAILABLE: &str = "M_UNAVAILABLE";
    pub const WEAK_PASSWORD: &str = "M_WEAK_PASSWORD";
    pub const INVALID_USERNAME: &str = "M_INVALID_USERNAME";
    pub const USER_IN_USE: &str = "M_USER_IN_USE";
    pub const EXCLUSIVE: &str = "M_EXCLUSIVE";
    pub const LIMIT_EXCEEDED: &str = "M_LIMIT_EXCEEDED";
    pub const CANNOT_LEAVE_SERVER_NOTICE_ROOM: &str = "M_CANNOT_LEAVE_SERVER_NOTICE_ROOM";
    pub const INVALID_ROOM_STATE: &str = "M_INVALID_ROOM_STATE";
    pub const USER_DEACTIVATED: &str = "M_USER_DEACTIVATED";
    pub const USER_LOCKED: &str = "M_USER_LOCKED";
    pub const USER_SUSPENDED: &str = "M_USER_SUSPENDED";
}

impl MatrixError {
    /// Any status/errcode/message triple.
    pub fn new(status: u16, errcode: &'static str, message: impl Into<String>) -> Self {
        Self {
            status,
            errcode,
            message: message.into(),
            extra: Vec::new(),
        }
    }

    /// Adds an extra top-level key to the rendered body.
    #[must_use]
    pub fn with_extra(mut self, key: &'static str, value: serde_json::Value) -> Self {
        self.extra.push((key, value));
        self
    }

    pub fn bad_request(errcode: &'static str, message: impl Into<String>) -> Self {
        Self::new(400, errcode, message)
    }
    pub fn forbidden(message: impl Into<String>) -> Self {
        Self::new(403, errcode::FORBIDDEN, message)
    }
    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(404, errcode::NOT_FOUND, message)
    }
    pub fn invalid_param(message: impl Into<String>) -> Self {
        Self::new(400, errcode::INVALID_PARAM, message)
    }
    pub fn missing_param(message: impl Into<String>) -> Self {
        Self::new(400, errcode::MISSING_PARAM, message)
    }
    pub fn bad_json(message: impl Into<String>) -> Self {
        Self::new(400, errcode::BAD_JSON, message)
    }
    pub fn unknown_token() -> Self {
        Self::new(401, errcode::UNKNOWN_TOKEN, "Invalid access token passed.")
            .with_extra("soft_logout", serde_json::Value::Bool(false))
    }
    /// A dependency (database, Redis, another service) could not be reached.
    pub fn unavailable() -> Self {
        Self::new(503, errcode::UNAVAILABLE, "Service temporarily unavailable")
    }
    /// Any other fault; the text never carries internal detail.
    pub fn internal() -> Self {
        Self::new(500, errcode::UNKNOWN, "Internal server error")
    }

    /// The JSON body clients receive.
    pub fn body(&self) -> serde_json::Value {
        let mut body = serde_json::Map::new();
        body.insert("errcode".into(), self.errcode.into());
        body.insert("error".into(), self.message.clone().into());
        for (key, value) in &self.extra {
            body.insert((*key).into(), value.clone());
        }
        serde_json::Value::Object(body)
    }

    /// Encodes this error as a gRPC status the gateway can decode exactly.
    pub fn to_status(&self) -> Status {
        let mut metadata = HashMap::new();
        metadata.insert("http_status".to_owned(), self.status.to_string());
        for (key, value) in &self.extra {
            metadata.insert(format!("extra.{key}"), value.to_string());
        }
        let details = ErrorDetails::with_error_info(self.errcode, ERROR_DOMAIN, metadata);
        Status::with_error_details(grpc_code_for(self.status), self.message.clone(), details)
    }

    /// Decodes a status from a service. A status without our ErrorInfo is a fault:
    /// unreachable peers become 503 `M_UNAVAILABLE`, anything else 500 `M_UNKNOWN`.
    pub fn from_status(status: &Status) -> Self {
        if let Some(info) = status.get_details_error_info()
            && info.domain == ERROR_DOMAIN
        {
            let http_status = info
                .metadata
                .get("http_status")
                .and_then(|s| s.parse::<u16>().ok())
                .unwrap_or_else(|| http_status_for(status.code()));
            let mut error = Self::new(http_status, intern(&info.reason), status.message());
            let mut extras: Vec<_> = info
                .metadata
                .iter()
                .filter_map(|(k, v)| Some((k.strip_prefix("extra.")?, v)))
                .collect();
            extras.sort();
            for (key, value) in extras {
                if let (Some(key), Ok(value)) = (intern_extra(key), serde_json::from_str(value)) {
                    error = error.with_extra(key, value);
                }
            }
            return error;
        }
        match status.code() {
            Code::Unavailable | Code::DeadlineExceeded | Code::Cancelled => Self::unavailable(),
            _ => Self::internal(),
        }
    }
}

impl From<MatrixError> for Status {
    fn from(error: MatrixError) -> Self {
        error.to_status()
    }
}

impl From<Status> for MatrixError {
    fn from(status: Status) -> Self {
        Self::from_status(&status)
    }
}

/// Known errcodes are `&'static str`; an unexpected one from a newer peer falls back to
/// `M_UNKNOWN` rather than leaking an allocation per error.
fn intern(reason: &str) -> &'static str {
    use errcode::*;
    const KNOWN: &[&str] = &[
        BAD_JSON,
        NOT_JSON,
        FORBIDDEN,
        UNKNOWN_TOKEN,
        MISSING_TOKEN,
        NOT_FOUND,
        UNRECOGNIZED,
        INVALID_PARAM,
        MISSING_PARAM,
        TOO_LARGE,
        UNKNOWN,
        UNAVAILABLE,
        WEAK_PASSWORD,
        INVALID_USERNAME,
        USER_IN_USE,
        EXCLUSIVE,
        LIMIT_EXCEEDED,
        CANNOT_LEAVE_SERVER_NOTICE_ROOM,
        INVALID_ROOM_STATE,
        USER_DEACTIVATED,
        USER_LOCKED,
    ];
    KNOWN
        .iter()
        .find(|known| **known == reason)
        .copied()
        .unwrap_or(UNKNOWN)
}

fn intern_extra(key: &str) -> Option<&'static str> {
    ["soft_logout", "retry_after_ms"]
        .into_iter()
        .find(|known| *known == key)
}

fn grpc_code_for(http_status: u16) -> Code {
    match http_status {
        400 | 413 => Code::InvalidArgument,
        401 => Code::Unauthenticated,
        403 => Code::PermissionDenied,
        404 => Code::NotFound,
        409 => Code::AlreadyExists,
        429 => Code::ResourceExhausted,
        503 => Code::Unavailable,
        _ => Code::Internal,
    }
}

fn http_status_for(code: Code) -> u16 {
    match code {
        Code::InvalidArgument => 400,
        Code::Unauthenticated => 401,
        Code::PermissionDenied => 403,
        Code::NotFound => 404,
        Code::AlreadyExists => 409,
        Code::ResourceExhausted => 429,
        Code::Unavailable => 503,
        _ => 500,
    }
}

/// Serializable form, for handlers that build bodies directly.
#[derive(Serialize)]
pub struct ErrorBody<'a> {
    pub errcode: &'a str,
    pub error: &'a str,
}
