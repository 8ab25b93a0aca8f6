//! CORS headers on every response (errors included), and `OPTIONS` preflight answered
//! with `200 {}` before routing and auth.

use axum::Json;
use axum::extract::Request;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use http::header::{
    ACCESS_CONTROL_ALLOW_HEADERS, ACCESS_CONTROL_ALLOW_METHODS, ACCESS_CONTROL_ALLOW_ORIGIN,
};
use http::{HeaderValue, Method, StatusCode};

pub const ALLOW_ORIGIN: &str = "*";
pub const ALLOW_METHODS: &str = "GET, HEAD, POST, PUT, DELETE, OPTIONS";
pub const ALLOW_HEADERS: &str =
    "X-Requested-With, Content-Type, Authorization, Date, traceparent, tracestate";

/// `axum::middleware::from_fn` body.
pub async fn cors(request: Request, next: Next) -> Response {
    let mut response = if request.method() == Method::OPTIONS {
        (StatusCode::OK, Json(serde_json::json!({}))).into_response()
    } else {
        next.run(request).await
    };
    let headers = response.headers_mut();
    headers.insert(
        ACCESS_CONTROL_ALLOW_ORIGIN,
        HeaderValue::from_static(ALLOW_ORIGIN),
    );
    headers.insert(
        ACCESS_CONTROL_ALLOW_METHODS,
        HeaderValue::from_static(ALLOW_METHODS),
    );
    headers.insert(
        ACCESS_CONTROL_ALLOW_HEADERS,
        HeaderValue::from_static(ALLOW_HEADERS),
    );
    response
}
