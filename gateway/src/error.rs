//! Rendering of Matrix errors as HTTP responses, in one place.
//!
//! Every handler and extractor fails with [`ApiError`]; its response is the error's HTTP
//! status and a compact `{"errcode", "error", …}` body.

use axum::Json;
use axum::response::{IntoResponse, Response};
use http::StatusCode;
use matrix_status::{MatrixError, errcode};

/// A Matrix error on its way to the client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError(pub MatrixError);

/// What handlers return.
pub type ApiResult<T> = Result<T, ApiError>;

impl ApiError {
    /// The wrapped error.
    pub fn matrix(&self) -> &MatrixError {
        &self.0
    }
}

impl From<MatrixError> for ApiError {
    fn from(error: MatrixError) -> Self {
        Self(error)
    }
}

/// A failed call to a service: decoded with [`MatrixError::from_status`].
impl From<tonic::Status> for ApiError {
    fn from(status: tonic::Status) -> Self {
        let error = MatrixError::from_status(&status);
        if error.status >= 500 {
            tracing::warn!(code = ?status.code(), message = status.message(), "service call failed");
        }
        Self(error)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status =
            StatusCode::from_u16(self.0.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        (status, Json(self.0.body())).into_response()
    }
}

/// `404 M_UNRECOGNIZED`: no route has this path.
pub fn unrecognized_path() -> ApiError {
    MatrixError::new(404, errcode::UNRECOGNIZED, "Unrecognized request").into()
}

/// `405 M_UNRECOGNIZED`: the path exists but not with this method.
pub fn unrecognized_method() -> ApiError {
    MatrixError::new(405, errcode::UNRECOGNIZED, "Unrecognized request").into()
}

/// Router fallback for unknown paths.
pub async fn not_found_fallback() -> ApiError {
    unrecognized_path()
}

/// Method-router fallback for known paths called with the wrong method.
pub async fn method_not_allowed_fallback() -> ApiError {
    unrecognized_method()
}
