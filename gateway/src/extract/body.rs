//! The request body, read up to the 64 KiB limit and parsed on demand.

use std::time::Duration;

use axum::body::Body;
use axum::extract::{FromRequest, Request, State};
use axum::middleware::Next;
use axum::response::Response;
use bailiff_telemetry::metrics;
use bytes::{Bytes, BytesMut};
use http_body_util::BodyExt;
use matrix_status::{MatrixError, errcode};

use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

use super::typed;
use crate::edge::responses::body_timeout_response;
use crate::error::ApiError;

/// Largest accepted request body.
pub const BODY_LIMIT: usize = 64 * 1024;

/// A request body captured by the extractor. Reading never fails the request; errors
/// (too large, not JSON, not an object) surface when the handler calls
/// [`JsonBody::object`], so each endpoint decides where body errors fall in its order.
#[derive(Debug)]
pub struct JsonBody(Result<Bytes, MatrixError>);

impl JsonBody {
    /// The body decoded into its typed struct; an empty body counts as `{}`. Errors are
    /// mapped by [`typed`].
    pub fn parse<T: DeserializeOwned>(self) -> Result<T, ApiError> {
        let bytes = self.0?;
        let object = parse_object(&bytes)?;
        Ok(typed::body(object)?)
    }

    /// As [`JsonBody::parse`], for endpoints with a required field: there an empty body
    /// is not `{}` but `400 M_NOT_JSON` (docs/http-api.md §1, "Request bodies").
    pub fn parse_required<T: DeserializeOwned>(self) -> Result<T, ApiError> {
        match &self.0 {
            Ok(bytes) if bytes.is_empty() => Err(not_json().into()),
            _ => self.parse(),
        }
    }
}

fn not_json() -> MatrixError {
    MatrixError::bad_request(errcode::NOT_JSON, "Content not JSON.")
}

fn too_large() -> MatrixError {
    MatrixError::new(413, errcode::TOO_LARGE, "Request body too large")
}

/// Parses a body: empty = `{}`, not JSON = `M_NOT_JSON`, not an object = `M_BAD_JSON`.
pub fn parse_object(bytes: &[u8]) -> Result<Map<String, Value>, MatrixError> {
    if bytes.is_empty() {
        return Ok(Map::new());
    }
    match serde_json::from_slice::<Value>(bytes) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err(MatrixError::bad_json("Content must be a JSON object.")),
        Err(_) => Err(not_json()),
    }
}

/// Set by [`buffer_body`] when the body could not be accepted.
#[derive(Debug, Clone)]
struct BodyRejected(MatrixError);

/// How long [`buffer_body`] waits for a body (`http.body_read_timeout`).
#[derive(Debug, Clone, Copy)]
pub struct BodyReadTimeout(pub Duration);

/// Middleware: reads every request body before routing (up to the limit, discarding
/// the rest of an oversized one), so a handler that answers without looking at the body
/// (an auth failure, a `GET`) never leaves unread bytes that would reset the connection.
/// An oversized or unreadable body is remembered and reported by [`JsonBody::parse`].
///
/// Reading, and only reading, is bounded by `http.body_read_timeout`: a client that
/// stalls mid-body is answered `408` and its connection closed, while the handler's own
/// work, which starts after, is never timed (docs/http-api.md §1, "Limits of the edge").
pub async fn buffer_body(
    State(BodyReadTimeout(timeout)): State<BodyReadTimeout>,
    request: Request,
    next: Next,
) -> Response {
    let (mut parts, body) = request.into_parts();
    let declared = parts
        .headers
        .get(http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    let read = match tokio::time::timeout(timeout, read_limited(body, declared)).await {
        Ok(read) => read,
        Err(_elapsed) => {
            metrics::record_http_timeout("body");
            return body_timeout_response(parts.version);
        }
    };
    let body = match read {
        Ok(bytes) => Body::from(bytes),
        Err(error) => {
            parts.extensions.insert(BodyRejected(error));
            Body::empty()
        }
    };
    next.run(Request::from_parts(parts, body)).await
}

async fn read_limited(mut body: Body, declared: Option<u64>) -> Result<Bytes, MatrixError> {
    if declared.is_some_and(|len| len > BODY_LIMIT as u64) {
        drain(body).await;
        return Err(too_large());
    }
    let mut collected = BytesMut::new();
    while let Some(frame) = body.frame().await {
        let Ok(frame) = frame else {
            return Err(MatrixError::bad_request(
                errcode::NOT_JSON,
                "Could not read the request body",
            ));
        };
        if let Ok(data) = frame.into_data() {
            if collected.len() + data.len() > BODY_LIMIT {
                drain(body).await;
                return Err(too_large());
            }
            collected.extend_from_slice(&data);
        }
    }
    Ok(collected.freeze())
}

impl<S: Send + Sync> FromRequest<S> for JsonBody {
    type Rejection = ApiError;

    async fn from_request(request: Request, _state: &S) -> Result<Self, Self::Rejection> {
        if let Some(BodyRejected(error)) = request.extensions().get::<BodyRejected>() {
            return Ok(Self(Err(error.clone())));
        }
        let declared = request
            .headers()
            .get(http::header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<u64>().ok());
        Ok(Self(read_limited(request.into_body(), declared).await))
    }
}

/// Reads and discards what is left of an oversized body (up to a bound), so the client
/// sees our `413` instead of a connection reset.
async fn drain(mut body: Body) {
    const DRAIN_LIMIT: usize = 1024 * 1024;
    let mut drained = 0;
    while drained < DRAIN_LIMIT {
        match body.frame().await {
            Some(Ok(frame)) => drained += frame.data_ref().map_or(0, bytes::Bytes::len),
            _ => break,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_bodies_by_the_rules() {
        let code = |body: &[u8]| parse_object(body).err().map(|e| e.errcode);
        assert_eq!(code(b""), None);
        assert_eq!(code(b"{\"a\":1}"), None);
        assert_eq!(code(b"not json"), Some("M_NOT_JSON"));
        assert_eq!(code(b"[1]"), Some("M_BAD_JSON"));
        assert_eq!(code(b"null"), Some("M_BAD_JSON"));
    }
}
