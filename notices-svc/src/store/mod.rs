//! All SQL of notices-svc: the user → notice room mapping ([`rooms`]) and PUT
//! transactions ([`txns`]), each guarded by a claim row (unique key + claim token) so
//! that concurrent requests on any replica agree on one winner. Portable SQL only; one
//! code path for both databases.
//!
//! IDs go in typed and come out typed: rows are read into structs of strings and decoded
//! with `TryFrom`, so a column that does not hold a valid ID is a decode error (a fault),
//! never a value the service carries on with.

use bailiff_database::{Backend, Database};

mod rooms;
mod txns;

pub use rooms::{NoticeRoom, RoomClaim};
pub use txns::{TxnClaim, TxnKey, TxnResponse, TxnState};

/// Entry point to the notices tables; cheap to clone.
#[derive(Debug, Clone)]
pub struct NoticeStore {
    db: Database,
}

impl NoticeStore {
    /// Wraps a pool whose schema has been migrated with [`crate::MIGRATIONS`].
    pub fn new(db: Database) -> Self {
        Self { db }
    }

    /// The database behind the store.
    pub fn backend(&self) -> Backend {
        self.db.backend
    }
}

/// A column holding what its type cannot: the row is corrupt, a fault like any other
/// database error.
fn corrupt(error: impl std::error::Error + Send + Sync + 'static) -> sqlx::Error {
    sqlx::Error::Decode(Box::new(error))
}
