//! The accounts domain's failures, and the one place where each becomes what a client
//! sees: an exact Matrix errcode, HTTP status and text (pinned by the tests in
//! `src/api/tests.rs` and `tests/e2e`), carried to the gateway as a `tonic::Status`.
//!
//! Faults (database, hashing) are logged here with their detail and reach the client only
//! as a bare 500 `M_UNKNOWN` or 503 `M_UNAVAILABLE`.

use bailiff_domain::OwnedUserId;
use matrix_status::{MatrixError, errcode};
use tonic::Status;

use crate::password::PasswordError;

/// Everything an accounts RPC can fail with.
#[derive(Debug, thiserror::Error)]
pub(crate) enum Error {
    /// The access token was not minted here, was revoked, or belongs to nobody.
    #[error("unknown access token")]
    UnknownToken,
    /// Login failed; one answer for every reason, so callers cannot tell who exists.
    #[error("invalid username or password")]
    LoginRefused,
    /// No user with that ID.
    #[error("user not found")]
    UserNotFound,
    /// Devices of a user that does not exist (Synapse words it differently).
    #[error("unknown user")]
    UnknownUser,
    /// No such device of the user.
    #[error("no device found")]
    DeviceNotFound,
    /// Login to a deactivated account.
    #[error("account deactivated")]
    UserDeactivated,
    /// An admin demoting themselves.
    #[error("self-demotion")]
    DemoteSelf,
    /// Reactivation without a new password (`docs/http-api.md` §7).
    #[error("reactivation without a password")]
    ReactivateWithoutPassword,
    /// An external ID bound to another user.
    #[error("external id already in use")]
    ExternalIdInUse,
    /// An `order_by` the users list does not know.
    #[error("unknown order {0:?}")]
    UnknownOrder(String),
    /// Registration of a user ID that exists.
    #[error("user ID already taken")]
    UserInUse,
    /// Registration with an empty localpart.
    #[error("empty localpart")]
    EmptyLocalpart,
    /// Registration of the server-notices localpart.
    #[error("reserved localpart")]
    Reserved,
    /// A registration nonce that is unknown, used or expired.
    #[error("unrecognised nonce")]
    NonceUnknown,
    /// A seeding call over its size bound.
    #[error("at most {max} users per call")]
    TooManySeedUsers {
        /// The bound.
        max: usize,
    },
    /// A seeding call with an empty localpart.
    #[error("empty localpart in a seeding call")]
    EmptySeedLocalpart,
    /// A peer sent an identifier that does not parse; the gateway validates every one
    /// it forwards, so this is a caller bug, answered as a bad argument.
    #[error("invalid {what}: {value:?}")]
    InvalidId {
        /// Which identifier (`"user ID"`, `"localpart"`, …).
        what: &'static str,
        /// What was sent.
        value: String,
    },
    /// Generated device IDs kept colliding for this user.
    #[error("could not find a free device ID for {0}")]
    NoFreeDeviceId(OwnedUserId),
    /// Hashing could not run (a panicked task), never the caller's doing.
    #[error(transparent)]
    Hashing(#[from] PasswordError),
    /// The database failed or could not be reached.
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
}

/// What accounts handlers return.
pub(crate) type Result<T, E = Error> = std::result::Result<T, E>;

impl From<Error> for MatrixError {
    fn from(error: Error) -> Self {
        match error {
            Error::UnknownToken => MatrixError::unknown_token(),
            Error::LoginRefused => MatrixError::forbidden("Invalid username or password"),
            Error::UserNotFound => MatrixError::not_found("User not found"),
            Error::UnknownUser => MatrixError::not_found("Unknown user"),
            Error::DeviceNotFound => MatrixError::not_found("No device found"),
            Error::UserDeactivated => MatrixError::new(
                403,
                errcode::USER_DEACTIVATED,
                "This account has been deactivated",
            ),
            Error::DemoteSelf => {
                MatrixError::bad_request(errcode::UNKNOWN, "You may not demote yourself.")
            }
            Error::ReactivateWithoutPassword => {
                MatrixError::missing_param("Must provide a password to re-activate an account.")
            }
            Error::ExternalIdInUse => {
                MatrixError::new(409, errcode::UNKNOWN, "External id is already in use.")
            }
            Error::UnknownOrder(_) => MatrixError::invalid_param("Unknown order_by"),
            Error::UserInUse => {
                MatrixError::bad_request(errcode::USER_IN_USE, "User ID already taken.")
            }
            Error::EmptyLocalpart => {
                MatrixError::bad_request(errcode::INVALID_USERNAME, "User ID cannot be empty")
            }
            Error::Reserved => {
                MatrixError::bad_request(errcode::EXCLUSIVE, "This user ID is reserved.")
            }
            Error::NonceUnknown => MatrixError::bad_request(errcode::UNKNOWN, "unrecognised nonce"),
            Error::TooManySeedUsers { max } => {
                MatrixError::invalid_param(format!("at most {max} users per call"))
            }
            Error::EmptySeedLocalpart => MatrixError::invalid_param("localparts must not be empty"),
            Error::InvalidId { what, .. } => MatrixError::invalid_param(format!("invalid {what}")),
            Error::NoFreeDeviceId(user_id) => {
                tracing::error!(%user_id, "could not find a free device ID");
                MatrixError::internal()
            }
            Error::Hashing(error) => {
                tracing::error!(%error, "password hashing failed");
                MatrixError::internal()
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
