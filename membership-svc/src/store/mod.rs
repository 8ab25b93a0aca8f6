//! All SQL of the membership service, over one [`Database`] that may be PostgreSQL or
//! SQLite.
//!
//! Portable SQL only: `$n` placeholders (multi-row inserts use `?` on SQLite, see
//! [`row_placeholders`]), `TEXT`/`BIGINT`, `ON CONFLICT`, `RETURNING`.
//! Functions take a `&mut AnyConnection` so several of them compose inside one
//! transaction (`&mut *tx`); they return `sqlx::Error`, or [`crate::Error`] when they
//! decode rows into domain types (`MemberRow`), and `crate::error` alone decides what a
//! client sees.
//!
//! Files: `events` appends events, `reads` reads events and state, `members`
//! memberships, `rooms` rooms, `room_stats` the admin rooms list's rows (`room_list` reads
//! them), `user_rooms` a user's rooms for the admin API, `account_data` tags and the like,
//! `txns` transaction IDs, `blocked` blocked rooms, `purge` the per-room tables and their
//! removal.
//!
//! # Stream ordering
//!
//! Every event (and every room account data change) gets a position from the single row
//! of `membership_stream`, allocated inside the writing transaction with
//! `UPDATE … SET pos = pos + n … RETURNING pos`. The row lock (PostgreSQL) or the write
//! lock (SQLite) is held until commit, so positions commit in order: a reader that sees
//! position N never later finds a smaller one appear. Write transactions start with
//! [`Store::begin_write`], whose first statement takes that lock; this also serializes
//! the permission checks that precede a write, and on SQLite it makes the transaction a
//! writer from the start (a deferred reader that later writes can fail with
//! `SQLITE_BUSY` instead of waiting).

use std::ops::RangeInclusive;

use bailiff_database::{Backend, Database};
use sqlx::AnyConnection;

/// Columns of an [`EventRow`], prefixed with the `e` alias.
macro_rules! event_columns {
    () => {
        "e.stream_pos, e.event_id, e.room_id, e.type, e.state_key, e.sender, e.content, \
         e.origin_server_ts, e.unsigned, e.device_id, e.txn_id"
    };
}

mod account_data;
mod blocked;
mod events;
mod members;
pub mod purge;
mod reads;
mod room_list;
pub mod room_stats;
mod rooms;
mod txns;
mod user_rooms;

pub use account_data::{
    AccountDataRow, account_data_changes, room_account_data, room_account_data_for_room,
    set_room_account_data,
};
pub use blocked::{block_room, room_blocked_by, unblock_room};
pub use events::{
    Dir, EventRow, NewEvent, Prior, PriorState, append_events, append_events_over, append_to_rooms,
    load_prior_state,
};
pub use members::{
    MemberChange, MemberRow, append_member_events, append_member_events_over, ever_joined_before,
    local_joined_members, member_rows_of_room, membership_of, memberships_in, memberships_of_user,
    rooms_with_membership,
};
pub use reads::{
    current_state, current_state_contents, current_state_event, event_by_id, events_between,
    joined_rooms_with_events_between, state_at,
};
pub use room_list::{RoomFilter, RoomOrder, RoomStatsRow, list_rooms, room_stats, set_public};
pub use rooms::{RoomRow, existing_rooms, find_server_notice_room, get_room, insert_room};
pub(crate) use txns::insert_txn;
pub use txns::txn_event;
pub use user_rooms::{all_room_account_data, cumulative_joined_room_count, sent_invite_count};

/// A transaction on the membership tables.
pub type Tx = sqlx::Transaction<'static, sqlx::Any>;

/// Rows per multi-row `INSERT … VALUES` ([`row_placeholders`]): one evacuation chunk
/// (500) in one statement, which measured fastest. At most 11 parameters a row stays
/// well under SQLite's (32766) and PostgreSQL's (65535) parameter limits.
pub(crate) const ROWS_PER_STATEMENT: usize = 500;

/// Keys per `IN (…)` lookup. These use `$n` placeholders, which sqlx binds on SQLite
/// by asking SQLite each parameter's name, and SQLite finds a name by walking a list:
/// the cost grows with the square of the parameter count, so SQLite gets shorter lists.
pub(crate) fn keys_per_statement(conn: &AnyConnection) -> usize {
    match Backend::of(conn) {
        Backend::Sqlite => 800,
        Backend::Postgres => 2000,
    }
}

/// Entry point to the membership tables; cheap to clone (the pool is shared).
#[derive(Debug, Clone)]
pub struct Store {
    db: Database,
}

impl Store {
    /// Wraps a pool whose schema has been migrated with [`crate::MIGRATIONS`].
    pub fn new(db: Database) -> Self {
        Self { db }
    }

    /// The underlying database.
    pub fn db(&self) -> &Database {
        &self.db
    }

    /// Begins a write transaction and takes the stream lock first (see the module docs).
    /// Every transaction that appends events or account data must start here.
    pub async fn begin_write(&self) -> Result<Tx, sqlx::Error> {
        let mut tx = self.db.pool.begin().await?;
        sqlx::query("UPDATE membership_stream SET pos = pos WHERE id = 1")
            .execute(&mut *tx)
            .await?;
        Ok(tx)
    }

    /// Begins a read-only transaction that sees one consistent snapshot (REPEATABLE READ
    /// on PostgreSQL; a SQLite read transaction is a snapshot already), so a `/sync`
    /// answer built from several queries matches the stream position it reports.
    pub async fn begin_snapshot(&self) -> Result<Tx, sqlx::Error> {
        let mut tx = self.db.pool.begin().await?;
        if self.db.backend == Backend::Postgres {
            sqlx::query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
                .execute(&mut *tx)
                .await?;
        }
        Ok(tx)
    }

    /// A pooled connection for single-statement reads.
    pub async fn conn(&self) -> Result<sqlx::pool::PoolConnection<sqlx::Any>, sqlx::Error> {
        self.db.pool.acquire().await
    }
}

/// Allocates `n` consecutive stream positions inside the caller's transaction.
pub async fn allocate(
    conn: &mut AnyConnection,
    n: usize,
) -> Result<RangeInclusive<i64>, sqlx::Error> {
    let n = i64::try_from(n.max(1)).unwrap_or(i64::MAX);
    let last: i64 = sqlx::query_scalar(
        "UPDATE membership_stream SET pos = pos + $1 WHERE id = 1 RETURNING pos",
    )
    .bind(n)
    .fetch_one(&mut *conn)
    .await?;
    Ok(last - n + 1..=last)
}

/// The highest committed stream position (as seen by this connection's snapshot).
pub async fn current_pos(conn: &mut AnyConnection) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar("SELECT pos FROM membership_stream WHERE id = 1")
        .fetch_one(&mut *conn)
        .await
}

pub(crate) use bailiff_database::sql::{placeholders, row_placeholders};

#[cfg(test)]
pub(crate) mod fixtures;
#[cfg(test)]
mod room_stats_tests;
#[cfg(test)]
mod tests;
