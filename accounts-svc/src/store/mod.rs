//! All SQL of the accounts service, over one [`Database`] that may be PostgreSQL or
//! SQLite.
//!
//! Portable SQL only: `$n` placeholders, `TEXT`/`BIGINT` (flags are 0/1), `ON CONFLICT`,
//! `RETURNING`. Methods return `sqlx::Error`; the API layer decides what a client sees.
//! Operations that must be all-or-nothing (registration with a session, logout, password
//! reset with revocation, seeding) run in one transaction here, so callers cannot forget.

use bailiff_database::Database;

mod admin;
mod connections;
mod device_count;
mod devices;
mod nonces;
mod secrets;
mod seed;
mod sessions;
mod users;

pub use admin::{
    ExternalId, FlagFilter, Threepid, UserChange, UserOrder, UserPage, UserQuery, UserRecord,
};
pub use connections::{DeviceSightings, Seen, Sighting};
pub use devices::DeviceRecord;
pub use seed::SeedUser;
pub use sessions::{Authenticated, NewSession, SessionOutcome};
pub use users::{NewUser, User};

/// Repository over the accounts tables; cheap to clone (the pool is shared).
#[derive(Debug, Clone)]
pub struct Store {
    db: Database,
}

impl Store {
    /// Wraps a pool whose schema has been migrated with [`crate::MIGRATIONS`].
    pub fn new(db: Database) -> Self {
        Self { db }
    }
}

/// A column holding what its type cannot (an ID that does not parse): the row is
/// corrupt, which is a fault like any other database error.
fn corrupt(error: impl std::error::Error + Send + Sync + 'static) -> sqlx::Error {
    sqlx::Error::Decode(Box::new(error))
}

/// Flags are stored as BIGINT 0/1 because SQLite has no BOOLEAN and the `any` driver
/// would decode the two backends' booleans differently.
fn flag(value: bool) -> i64 {
    i64::from(value)
}

use bailiff_database::sql::placeholders;

#[cfg(test)]
mod admin_tests;
#[cfg(test)]
mod tests;
