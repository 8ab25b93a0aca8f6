//! The notices schema: two tables, prefixed `notices_` because the embedded default puts
//! every service in one SQLite file. `TEXT`/`BIGINT` only, so one text serves both
//! backends. See `notices-svc/README.md` for how the claim columns are used.

use bailiff_database::Migration;

/// Schema steps in order. Never edit a released step; add a new one.
pub const MIGRATIONS: &[Migration] = &[Migration {
    version: 1,
    name: "notice_rooms_and_transactions",
    sql: "
CREATE TABLE notices_rooms (
    user_id TEXT NOT NULL PRIMARY KEY,
    room_id TEXT,
    claim_token TEXT NOT NULL,
    claimed_ts BIGINT NOT NULL,
    system_displayname TEXT
);
CREATE TABLE notices_txns (
    user_id TEXT NOT NULL,
    device_id TEXT NOT NULL,
    txn_id TEXT NOT NULL,
    claim_token TEXT NOT NULL,
    claimed_ts BIGINT NOT NULL,
    event_id TEXT,
    room_id TEXT,
    created_ts BIGINT NOT NULL,
    PRIMARY KEY (user_id, device_id, txn_id)
);
CREATE INDEX notices_txns_created ON notices_txns (created_ts);
",
    sqlite: None,
}];
