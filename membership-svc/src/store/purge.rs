//! Removing every row a room has in the membership tables, in bounded steps.
//!
//! [`ROOM_TABLES`] is THE list of per-room tables: a table that stores rows of a room
//! must be listed here, or a purged room leaves rows behind. The store tests compare it
//! with every table of the schema that has a `room_id` column (`purge_covers_every_room_table`
//! in `src/store/tests.rs`), so a new table cannot be forgotten silently.
//!
//! Each [`purge_step`] deletes at most `limit` rows of one table in the caller's
//! transaction. Deleting rows that are already gone changes nothing, so a step is
//! idempotent and a purge interrupted anywhere (a worker killed mid-purge) continues
//! where the rows say it stopped: the remaining rows are the progress.

use sqlx::{AnyConnection, AssertSqlSafe};

/// A table holding rows of rooms.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RoomTable {
    /// Table name.
    pub name: &'static str,
    /// Its primary key columns, comma-separated (a row-value `IN` selects a batch).
    pub key: &'static str,
}

/// Every per-room table, in purge order. `membership_rooms` goes first: once its row is
/// gone every join, send and read of the room answers 404 (they check it inside the
/// write lock), so nothing adds rows to the tables still being purged. Events go last,
/// being the bulk. Deliberately absent: `membership_blocked_rooms` (a block outlives the
/// purge) and the job tables (a deletion's status stays readable).
pub const ROOM_TABLES: &[RoomTable] = &[
    RoomTable {
        name: "membership_rooms",
        key: "room_id",
    },
    // The admin rooms list's row (`super::room_stats`): gone with the room, so the list
    // no longer shows it.
    RoomTable {
        name: "membership_room_stats",
        key: "room_id",
    },
    RoomTable {
        name: "membership_current_state",
        key: "room_id, type, state_key",
    },
    RoomTable {
        name: "membership_members",
        key: "room_id, user_id",
    },
    RoomTable {
        name: "membership_account_data",
        key: "user_id, room_id, type",
    },
    RoomTable {
        name: "membership_txns",
        key: "user_id, device_id, txn_id",
    },
    RoomTable {
        name: "membership_events",
        key: "stream_pos",
    },
];

/// Tables with a `room_id` column that a purge keeps on purpose (see [`ROOM_TABLES`]).
pub const KEPT_ON_PURGE: &[&str] = &["membership_blocked_rooms", "membership_room_deletions"];

/// Deletes up to `limit` rows of the room from the first table of [`ROOM_TABLES`] that
/// still has any. Returns how many rows went; 0 means the room has no row left.
pub async fn purge_step(
    conn: &mut AnyConnection,
    room_id: &str,
    limit: i64,
) -> Result<u64, sqlx::Error> {
    for table in ROOM_TABLES {
        let RoomTable { name, key } = table;
        let deleted = sqlx::query(AssertSqlSafe(format!(
            "DELETE FROM {name} WHERE ({key}) IN \
             (SELECT {key} FROM {name} WHERE room_id = $1 LIMIT $2)"
        )))
        .bind(room_id)
        .bind(limit)
        .execute(&mut *conn)
        .await?
        .rows_affected();
        if deleted > 0 {
            return Ok(deleted);
        }
    }
    Ok(0)
}

/// Rows the room still has in each of [`ROOM_TABLES`] (for tests and checks).
pub async fn room_row_counts(
    conn: &mut AnyConnection,
    room_id: &str,
) -> Result<Vec<(&'static str, i64)>, sqlx::Error> {
    let mut counts = Vec::with_capacity(ROOM_TABLES.len());
    for table in ROOM_TABLES {
        let count: i64 = sqlx::query_scalar(AssertSqlSafe(format!(
            "SELECT COUNT(*) FROM {} WHERE room_id = $1",
            table.name
        )))
        .bind(room_id)
        .fetch_one(&mut *conn)
        .await?;
        counts.push((table.name, count));
    }
    Ok(counts)
}
