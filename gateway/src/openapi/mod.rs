//! The OpenAPI 3.1 document of the whole HTTP surface, built from the typed request and
//! answer structs of the handlers (their `utoipa::ToSchema`/`IntoParams` derives) and the
//! per-operation facts in [`operations`]: access, parameters, answers and errors.
//!
//! utoipa's builders are used rather than `#[utoipa::path]` on each handler because one
//! handler serves several paths (both client version prefixes, whois under two APIs) and
//! the document must list each of them; the route table ([`crate::routes::table`]) and
//! this document are checked against each other by tests.
//!
//! Served without a token at [`PATH`]; checked in, pretty-printed, at `docs/openapi.json`.

use std::sync::LazyLock;

use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use http::header::CONTENT_TYPE;
use matrix_status::MatrixError;
use utoipa::openapi::OpenApi;

use crate::error::ApiError;

mod builder;
mod moderation;
mod operations;
mod operations_core;
mod room_deletion;
mod rooms_admin;
mod ui_compat;
mod users_admin;

pub use builder::MATRIX_ERROR;
// Tags and parameter texts, shared by the core operations and every area's.
use operations::{DENDRITE, ROOM_ID, SYNAPSE};

/// Where the document is served.
pub const PATH: &str = "/_bailiff/openapi.json";

/// The document. Deterministic: no timestamps, maps in a fixed order.
pub fn document() -> OpenApi {
    operations::document()
}

/// The document as served: compact JSON, rendered once.
static COMPACT: LazyLock<Result<Bytes, String>> = LazyLock::new(|| {
    document()
        .to_json()
        .map(Bytes::from)
        .map_err(|error| error.to_string())
});

/// The document, pretty-printed as checked in at `docs/openapi.json` (with a final
/// newline).
pub fn pretty() -> Result<String, serde_json::Error> {
    document().to_pretty_json().map(|text| text + "\n")
}

/// `GET /_bailiff/openapi.json`: no token needed.
pub async fn serve() -> Result<Response, ApiError> {
    match &*COMPACT {
        Ok(body) => Ok(([(CONTENT_TYPE, "application/json")], body.clone()).into_response()),
        Err(error) => {
            tracing::error!(%error, "cannot render the OpenAPI document");
            Err(MatrixError::internal().into())
        }
    }
}

#[cfg(test)]
mod tests;
