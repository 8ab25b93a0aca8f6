//! CORS (docs/http-api.md §1, "CORS"): three fixed headers on every response, errors
//! included, and every `OPTIONS` request answered `200 {}` before routing and auth.
//!
//! The headers come from tower-http's `SetResponseHeaderLayer`. Its `CorsLayer` is not
//! used because it cannot produce these pinned answers:
//! - it sends `Access-Control-Allow-Methods` and `-Headers` on `OPTIONS` answers only,
//!   while every response must carry them;
//! - it joins lists with a bare `,` and lower-cases header names, so the exact values
//!   below (`GET, HEAD, …`, `X-Requested-With, …`) cannot be written with it;
//! - its `OPTIONS` answer has an empty body, where ours is the JSON object `{}`;
//! - it adds a `Vary` header that our answers have never had.
//!
//! Origins configured in `cors.allow_credentials_origins` get their origin echoed with
//! credentials allowed instead ([`allow_credentials`], docs/http-api.md §8).

use std::sync::Arc;

use axum::Json;
use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use http::header::{
    ACCESS_CONTROL_ALLOW_CREDENTIALS, ACCESS_CONTROL_ALLOW_HEADERS, ACCESS_CONTROL_ALLOW_METHODS,
    ACCESS_CONTROL_ALLOW_ORIGIN, ORIGIN, VARY,
};
use http::{HeaderValue, Method, StatusCode};
use tower::ServiceBuilder;
use tower::layer::util::{Identity, Stack};
use tower_http::set_header::SetResponseHeaderLayer;

/// `Access-Control-Allow-Origin` of every response.
pub const ALLOW_ORIGIN: &str = "*";
/// `Access-Control-Allow-Methods` of every response.
pub const ALLOW_METHODS: &str = "GET, HEAD, POST, PUT, DELETE, OPTIONS";
/// `Access-Control-Allow-Headers` of every response.
pub const ALLOW_HEADERS: &str =
    "X-Requested-With, Content-Type, Authorization, Date, traceparent, tracestate";

type SetHeader = SetResponseHeaderLayer<HeaderValue>;

/// The three layers that set the CORS headers; wrap them around [`answer_options`] so
/// its answers carry them too.
pub type HeadersLayer =
    ServiceBuilder<Stack<SetHeader, Stack<SetHeader, Stack<SetHeader, Identity>>>>;

/// Sets the CORS headers on every response, replacing any the inner service set.
pub fn headers() -> HeadersLayer {
    ServiceBuilder::new()
        .layer(SetResponseHeaderLayer::overriding(
            ACCESS_CONTROL_ALLOW_ORIGIN,
            HeaderValue::from_static(ALLOW_ORIGIN),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            ACCESS_CONTROL_ALLOW_METHODS,
            HeaderValue::from_static(ALLOW_METHODS),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            ACCESS_CONTROL_ALLOW_HEADERS,
            HeaderValue::from_static(ALLOW_HEADERS),
        ))
}

/// `axum::middleware::from_fn` body: answers every `OPTIONS` request, preflight or not,
/// with `200 {}` without routing it, so no path or token check can refuse it.
pub async fn answer_options(request: Request, next: Next) -> Response {
    if request.method() == Method::OPTIONS {
        (StatusCode::OK, Json(serde_json::json!({}))).into_response()
    } else {
        next.run(request).await
    }
}

/// The origins of `cors.allow_credentials_origins` (docs/configuration.md), as header
/// values ready to echo. Origins that are not valid header values could never match a
/// request's `Origin`, so they are dropped.
#[derive(Debug, Clone, Default)]
pub struct CredentialOrigins(Arc<[HeaderValue]>);

impl CredentialOrigins {
    pub fn new(origins: &[String]) -> Self {
        Self(
            origins
                .iter()
                .filter_map(|origin| HeaderValue::from_str(origin).ok())
                .collect(),
        )
    }
}

/// `axum::middleware::from_fn_with_state` body, layered outside [`headers`]: when the
/// request's `Origin` is listed, answers (preflights included) echo it with
/// `Access-Control-Allow-Credentials: true`, because browsers refuse `*` on requests
/// sent with credentials (Ketesa's `corsCredentials: "include"`,
/// `shared/SYNAPSE-ADMIN.md` §2.2). While any origin is listed, every answer varies by
/// `Origin`, so caches must not reuse one origin's answer for another.
pub async fn allow_credentials(
    State(origins): State<CredentialOrigins>,
    request: Request,
    next: Next,
) -> Response {
    if origins.0.is_empty() {
        return next.run(request).await;
    }
    let listed = request
        .headers()
        .get(ORIGIN)
        .filter(|origin| origins.0.contains(origin))
        .cloned();
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    if let Some(origin) = listed {
        headers.insert(ACCESS_CONTROL_ALLOW_ORIGIN, origin);
        headers.insert(
            ACCESS_CONTROL_ALLOW_CREDENTIALS,
            HeaderValue::from_static("true"),
        );
    }
    headers.append(VARY, HeaderValue::from_static("Origin"));
    response
}
