//! The service's one error type and its one mapping to what a client sees.
//!
//! Every operation of the `Rooms` and `Evacuations` services (and every store read that
//! decodes rows into domain types) fails with [`Error`]. [`Error::to_matrix`] is the only
//! place that decides the Matrix status and errcode; the gRPC status is derived from it
//! (`matrix_status` carries the errcode to the gateway). Faults (database, corrupt rows)
//! are logged here with their detail and reach the client as a bare 503 or 500.

use bailiff_domain::UnknownVariant;
use matrix_status::{MatrixError, errcode};

/// Why an operation of membership-svc failed.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// `404 M_NOT_FOUND`: the room, event, state or job does not exist.
    #[error("not found: {0}")]
    NotFound(String),
    /// `403 M_FORBIDDEN`: the caller may not do this (membership, power level, reserved
    /// event type).
    #[error("forbidden: {0}")]
    Forbidden(String),
    /// `403 M_CANNOT_LEAVE_SERVER_NOTICE_ROOM`: a server-notice invite cannot be rejected.
    #[error("cannot leave the server notice room: {0}")]
    CannotLeaveServerNoticeRoom(String),
    /// `400 M_BAD_JSON`: event content (or another JSON payload) is not what it must be.
    #[error("bad JSON: {0}")]
    BadJson(String),
    /// `413 M_TOO_LARGE`: content over the size limit.
    #[error("too large: {0}")]
    TooLarge(String),
    /// `400 M_INVALID_PARAM`: a request field has a value outside its domain (a bad
    /// identifier, an unknown enum value, a malformed token).
    #[error("invalid argument: {0}")]
    InvalidArgument(String),
    /// `400 M_MISSING_PARAM`: a required request field is empty.
    #[error("missing parameter: {0}")]
    MissingParam(String),
    /// `503 M_UNAVAILABLE`: the service is shutting down or lost a race it could not
    /// settle; the caller may retry.
    #[error("unavailable: {0}")]
    Unavailable(&'static str),
    /// A database fault: 503 when the database is unreachable, else 500.
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
    /// A stored value that decodes to no domain value (e.g. an unknown job kind in a
    /// row): 500, as the data, not the request, is wrong.
    #[error("corrupt row: {0}")]
    CorruptRow(String),
    /// Event content the service built did not encode to JSON: 500, as the service,
    /// not the request, is wrong.
    #[error("encoding event content: {0}")]
    Encode(serde_json::Error),
}

impl From<UnknownVariant> for Error {
    fn from(error: UnknownVariant) -> Self {
        Self::CorruptRow(error.to_string())
    }
}

impl Error {
    /// [`Error::NotFound`].
    pub fn not_found(message: impl Into<String>) -> Self {
        Self::NotFound(message.into())
    }

    /// [`Error::Forbidden`].
    pub fn forbidden(message: impl Into<String>) -> Self {
        Self::Forbidden(message.into())
    }

    /// [`Error::BadJson`].
    pub fn bad_json(message: impl Into<String>) -> Self {
        Self::BadJson(message.into())
    }

    /// [`Error::InvalidArgument`].
    pub fn invalid_argument(message: impl Into<String>) -> Self {
        Self::InvalidArgument(message.into())
    }

    /// [`Error::MissingParam`].
    pub fn missing_param(message: impl Into<String>) -> Self {
        Self::MissingParam(message.into())
    }

    /// The Matrix error a client sees. Faults are logged here, with their detail, and
    /// answered without it.
    pub fn to_matrix(&self) -> MatrixError {
        match self {
            Self::NotFound(message) => MatrixError::not_found(message.clone()),
            Self::Forbidden(message) => MatrixError::forbidden(message.clone()),
            Self::CannotLeaveServerNoticeRoom(message) => MatrixError::new(
                403,
                errcode::CANNOT_LEAVE_SERVER_NOTICE_ROOM,
                message.clone(),
            ),
            Self::BadJson(message) => MatrixError::bad_json(message.clone()),
            Self::TooLarge(message) => MatrixError::new(413, errcode::TOO_LARGE, message.clone()),
            Self::InvalidArgument(message) => MatrixError::invalid_param(message.clone()),
            Self::MissingParam(message) => MatrixError::missing_param(message.clone()),
            Self::Unavailable(why) => {
                tracing::warn!(%why, "answering unavailable");
                MatrixError::unavailable()
            }
            // 503 when the database cannot be reached, else 500; detail only logged.
            Self::Database(error) => bailiff_database::fault(error),
            Self::CorruptRow(detail) => {
                tracing::error!(%detail, "stored data does not decode");
                MatrixError::internal()
            }
            Self::Encode(error) => {
                tracing::error!(%error, "event content does not encode");
                MatrixError::internal()
            }
        }
    }

    /// Whether the fault is the database being unreachable (worth retrying).
    pub fn is_unavailable(&self) -> bool {
        matches!(self, Self::Database(error) if bailiff_database::is_unavailable(error))
    }
}

impl From<Error> for MatrixError {
    fn from(error: Error) -> Self {
        error.to_matrix()
    }
}

impl From<Error> for tonic::Status {
    fn from(error: Error) -> Self {
        error.to_matrix().into()
    }
}

/// The result of a membership-svc operation.
pub type Result<T, E = Error> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn faults_reach_the_client_without_detail() {
        let corrupt = Error::from(UnknownVariant {
            what: "job kind",
            value: "planet".into(),
        });
        let matrix = corrupt.to_matrix();
        assert_eq!((matrix.status, matrix.errcode), (500, errcode::UNKNOWN));
        assert!(!matrix.message.contains("planet"));
        let encode = serde_json::from_str::<serde_json::Value>("{")
            .map_err(Error::Encode)
            .expect_err("not JSON")
            .to_matrix();
        assert_eq!((encode.status, encode.errcode), (500, errcode::UNKNOWN));
        let db = Error::from(sqlx::Error::PoolTimedOut).to_matrix();
        assert_eq!((db.status, db.errcode), (503, errcode::UNAVAILABLE));
        let db = Error::from(sqlx::Error::RowNotFound).to_matrix();
        assert_eq!((db.status, db.errcode), (500, errcode::UNKNOWN));
    }

    #[test]
    fn domain_failures_keep_their_errcodes() {
        let cases = [
            (Error::not_found("Room not found"), 404, errcode::NOT_FOUND),
            (Error::forbidden("no"), 403, errcode::FORBIDDEN),
            (Error::bad_json("x"), 400, errcode::BAD_JSON),
            (Error::invalid_argument("x"), 400, errcode::INVALID_PARAM),
            (Error::missing_param("x"), 400, errcode::MISSING_PARAM),
            (Error::TooLarge("x".into()), 413, errcode::TOO_LARGE),
        ];
        for (error, status, code) in cases {
            let matrix = error.to_matrix();
            assert_eq!((matrix.status, matrix.errcode), (status, code));
        }
    }
}
