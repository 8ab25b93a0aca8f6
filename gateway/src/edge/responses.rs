//! The answers of the edge's refusals, each a Matrix error (`docs/http-api.md` §1,
//! "Limits of the edge"). Those that leave through the router are [`ApiError`]s and get
//! the CORS headers from its layers; those written straight to a socket (a connection
//! over the limit, a head hyper refused) are whole HTTP/1.1 responses built here once,
//! with the CORS headers written in.

use std::sync::LazyLock;

use axum::response::{IntoResponse, Response};
use http::HeaderValue;
use http::header::{CONNECTION, RETRY_AFTER};
use matrix_status::{MatrixError, errcode};

use crate::cors;
use crate::error::ApiError;

/// Seconds a client is told to wait before retrying a shed request or connection.
pub const RETRY_AFTER_SECONDS: &str = "1";

/// `414 M_TOO_LARGE`: the path and query are over `http.max_uri_bytes`.
pub fn uri_too_long() -> MatrixError {
    MatrixError::new(414, errcode::TOO_LARGE, "Request URI too long")
}

/// `431 M_TOO_LARGE`: the header fields are over `http.max_header_bytes`.
pub fn headers_too_large() -> MatrixError {
    MatrixError::new(431, errcode::TOO_LARGE, "Request header fields too large")
}

/// `400 M_UNKNOWN`: a request head that is not HTTP.
pub fn malformed_request() -> MatrixError {
    MatrixError::new(400, errcode::UNKNOWN, "Malformed HTTP request")
}

/// `503 M_UNAVAILABLE`: the in-flight request limit is reached.
pub fn overloaded() -> MatrixError {
    MatrixError::new(503, errcode::UNAVAILABLE, "The server is busy, retry later")
}

/// `503 M_UNAVAILABLE`: the connection limit is reached.
pub fn too_many_connections() -> MatrixError {
    MatrixError::new(
        503,
        errcode::UNAVAILABLE,
        "Too many connections, retry later",
    )
}

/// `408 M_UNKNOWN`: the body did not arrive within `http.body_read_timeout`.
pub fn body_timeout() -> MatrixError {
    MatrixError::new(408, errcode::UNKNOWN, "Timed out reading the request body")
}

/// A `503` that tells the client when to come back.
pub fn shed_response() -> Response {
    let mut response = ApiError(overloaded()).into_response();
    response
        .headers_mut()
        .insert(RETRY_AFTER, HeaderValue::from_static(RETRY_AFTER_SECONDS));
    response
}

/// The body timeout's answer. The rest of the body is never read, so the connection
/// cannot carry another request: HTTP/1 says so (HTTP/2 resets only the stream).
pub fn body_timeout_response(version: http::Version) -> Response {
    let mut response = ApiError(body_timeout()).into_response();
    if version < http::Version::HTTP_2 {
        response
            .headers_mut()
            .insert(CONNECTION, HeaderValue::from_static("close"));
    }
    response
}

/// A complete HTTP/1.1 response carrying `error`, the CORS headers and
/// `Connection: close`, for writing straight to a socket.
fn raw_response(error: &MatrixError, reason: &str, extra_headers: &str) -> Vec<u8> {
    let body = error.body().to_string();
    format!(
        "HTTP/1.1 {status} {reason}\r\n\
         content-type: application/json\r\n\
         content-length: {length}\r\n\
         connection: close\r\n\
         access-control-allow-origin: {origin}\r\n\
         access-control-allow-methods: {methods}\r\n\
         access-control-allow-headers: {headers}\r\n\
         {extra_headers}\
         \r\n\
         {body}",
        status = error.status,
        length = body.len(),
        origin = cors::ALLOW_ORIGIN,
        methods = cors::ALLOW_METHODS,
        headers = cors::ALLOW_HEADERS,
    )
    .into_bytes()
}

/// Written to a connection accepted over `http.max_connections`, before closing it.
pub static TOO_MANY_CONNECTIONS: LazyLock<Vec<u8>> = LazyLock::new(|| {
    raw_response(
        &too_many_connections(),
        "Service Unavailable",
        &format!("retry-after: {RETRY_AFTER_SECONDS}\r\n"),
    )
});

/// Replaces hyper's empty `414` (a request line longer than its buffer or its URI bound).
pub static RAW_URI_TOO_LONG: LazyLock<Vec<u8>> =
    LazyLock::new(|| raw_response(&uri_too_long(), "URI Too Long", ""));

/// Replaces hyper's empty `431` (a head longer than its buffer, or too many fields).
pub static RAW_HEADERS_TOO_LARGE: LazyLock<Vec<u8>> =
    LazyLock::new(|| raw_response(&headers_too_large(), "Request Header Fields Too Large", ""));

/// Replaces hyper's empty `400` (a head that does not parse).
pub static RAW_MALFORMED: LazyLock<Vec<u8>> =
    LazyLock::new(|| raw_response(&malformed_request(), "Bad Request", ""));

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn raw_answers_are_complete_matrix_errors_with_cors() {
        let text = String::from_utf8(TOO_MANY_CONNECTIONS.clone()).unwrap_or_default();
        let (head, body) = text.split_once("\r\n\r\n").unwrap_or_default();
        assert!(head.starts_with("HTTP/1.1 503 Service Unavailable\r\n"));
        assert!(head.contains("\r\nretry-after: 1"));
        assert!(head.contains("\r\naccess-control-allow-origin: *"));
        assert!(head.contains(&format!("\r\ncontent-length: {}", body.len())));
        let body: serde_json::Value = serde_json::from_str(body).unwrap_or_default();
        assert_eq!(body["errcode"], "M_UNAVAILABLE");
        assert!(body["error"].is_string());
    }
}
