//! The notices domain's failures, and the one place where each becomes what a client
//! sees: an exact Matrix errcode, HTTP status and text (pinned by `src/tests.rs` and
//! `tests/e2e/notices.rs`), carried to the gateway as a `tonic::Status`.
//!
//! Faults are logged here with their detail and reach the client only as a bare 500
//! `M_UNKNOWN` or 503 `M_UNAVAILABLE`. membership-svc's own Matrix errors (a refused
//! invite, an oversized event, …) pass through unchanged: they are the answer.

use matrix_status::{MatrixError, errcode};
use tonic::Status;

/// Everything a notices RPC can fail with.
#[derive(Debug, thiserror::Error)]
pub(crate) enum Error {
    /// `server_notices.enabled` is off.
    #[error("server notices are disabled")]
    NoticesDisabled,
    /// A notice without a target user.
    #[error("missing user_id")]
    MissingUserId,
    /// A transaction lookup without a transaction key.
    #[error("missing txn")]
    MissingTxn,
    /// A peer sent an identifier that does not parse; the gateway validates every one
    /// it forwards, so this is a caller bug, answered as a bad argument.
    #[error("invalid {what}: {value:?}")]
    InvalidId {
        /// Which identifier (`"user ID"`, `"device ID"`, …).
        what: &'static str,
        /// What was sent.
        value: String,
    },
    /// A call to membership-svc failed or was refused; carries its Matrix error.
    #[error("membership-svc: {0}")]
    Membership(MatrixError),
    /// membership-svc answered with an identifier that does not parse.
    #[error("membership-svc answered an invalid {what}: {value:?}")]
    BadAnswer {
        /// Which identifier.
        what: &'static str,
        /// What was answered.
        value: String,
    },
    /// The batching task is gone (the process is shutting down).
    #[error("the notice batcher has stopped")]
    BatcherStopped,
    /// A concurrent request held a claim (room creation, transaction) for too long.
    #[error("gave up waiting for a concurrent server-notice request")]
    GaveUp,
    /// Our room claim was taken over, yet no room was recorded by the winner.
    #[error("notice room claim lost and no room recorded for {0}")]
    ClaimLostWithoutRoom(String),
    /// The database failed or could not be reached.
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
}

/// What notices operations return.
pub(crate) type Result<T, E = Error> = std::result::Result<T, E>;

impl From<Status> for Error {
    fn from(status: Status) -> Self {
        Error::Membership(MatrixError::from_status(&status))
    }
}

impl From<Error> for MatrixError {
    fn from(error: Error) -> Self {
        match error {
            Error::NoticesDisabled => MatrixError::bad_request(
                errcode::UNKNOWN,
                "Server notices are not enabled on this server",
            ),
            Error::MissingUserId => MatrixError::missing_param("Missing parameter: user_id"),
            Error::MissingTxn => MatrixError::missing_param("txn is required"),
            Error::InvalidId { what, .. } => MatrixError::invalid_param(format!("invalid {what}")),
            Error::Membership(error) => error,
            error @ (Error::BadAnswer { .. } | Error::ClaimLostWithoutRoom(_)) => {
                tracing::error!(%error, "server notice failed");
                MatrixError::internal()
            }
            error @ (Error::GaveUp | Error::BatcherStopped) => {
                tracing::warn!(%error, "server notice not sent");
                MatrixError::unavailable()
            }
            // 503 when the database cannot be reached, else 500; detail only logged.
            Error::Database(error) => bailiff_database::fault(&error),
        }
    }
}

impl From<Error> for Status {
    fn from(error: Error) -> Self {
        MatrixError::from(error).to_status()
    }
}
