//! The membership schema.
//!
//! Tables are prefixed `membership_` because the embedded default puts every service in
//! one SQLite file. Only `TEXT` and `BIGINT` are used (JSON is TEXT) so one text serves
//! both backends. Stream positions come from the single-row `membership_stream` counter,
//! not from an auto-increment key, so no SQLite-specific text is needed.
//!
//! See `membership-svc/README.md` for what each table means and the ordering rule.

use bailiff_database::Migration;

/// Schema steps in order. Never edit a released step; add a new one (the evacuation
/// tables come as later versions).
pub const MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1,
        name: "rooms_events_state_memberships_account_data",
        sql: "
CREATE TABLE membership_stream (
    id BIGINT NOT NULL PRIMARY KEY,
    pos BIGINT NOT NULL
);
INSERT INTO membership_stream (id, pos) VALUES (1, 0);
CREATE TABLE membership_rooms (
    room_id TEXT NOT NULL PRIMARY KEY,
    creator TEXT NOT NULL,
    created_ts BIGINT NOT NULL,
    room_version TEXT NOT NULL,
    is_public BIGINT NOT NULL DEFAULT 0,
    server_notice_target TEXT
);
CREATE INDEX membership_rooms_notice_target ON membership_rooms (server_notice_target);
CREATE TABLE membership_events (
    stream_pos BIGINT NOT NULL PRIMARY KEY,
    event_id TEXT NOT NULL UNIQUE,
    room_id TEXT NOT NULL,
    type TEXT NOT NULL,
    state_key TEXT,
    sender TEXT NOT NULL,
    content TEXT NOT NULL,
    origin_server_ts BIGINT NOT NULL,
    unsigned TEXT,
    device_id TEXT,
    txn_id TEXT
);
CREATE INDEX membership_events_room ON membership_events (room_id, stream_pos);
CREATE INDEX membership_events_state ON membership_events (room_id, type, state_key, stream_pos);
CREATE TABLE membership_current_state (
    room_id TEXT NOT NULL,
    type TEXT NOT NULL,
    state_key TEXT NOT NULL,
    event_id TEXT NOT NULL,
    stream_pos BIGINT NOT NULL,
    PRIMARY KEY (room_id, type, state_key)
);
CREATE TABLE membership_members (
    room_id TEXT NOT NULL,
    user_id TEXT NOT NULL,
    membership TEXT NOT NULL,
    prev_membership TEXT,
    event_id TEXT NOT NULL,
    stream_pos BIGINT NOT NULL,
    sender TEXT NOT NULL,
    content TEXT NOT NULL,
    PRIMARY KEY (room_id, user_id)
);
CREATE INDEX membership_members_of_user ON membership_members (user_id, membership, stream_pos);
CREATE INDEX membership_members_of_room ON membership_members (room_id, membership, stream_pos);
CREATE TABLE membership_account_data (
    user_id TEXT NOT NULL,
    room_id TEXT NOT NULL,
    type TEXT NOT NULL,
    content TEXT NOT NULL,
    stream_pos BIGINT NOT NULL,
    PRIMARY KEY (user_id, room_id, type)
);
CREATE INDEX membership_account_data_recent ON membership_account_data (user_id, stream_pos);
CREATE TABLE membership_txns (
    user_id TEXT NOT NULL,
    device_id TEXT NOT NULL,
    txn_id TEXT NOT NULL,
    room_id TEXT NOT NULL,
    event_id TEXT NOT NULL,
    created_ts BIGINT NOT NULL,
    PRIMARY KEY (user_id, device_id, txn_id)
);
",
        sqlite: None,
    },
    Migration {
        version: 2,
        name: "room_stats",
        // One row per room for the Synapse admin rooms list (`store::room_stats`): the
        // state the list shows and counters kept by `append_to_rooms`, so listing never
        // counts. Rooms that predate this step get their row from `room_stats::backfill`.
        // The two partial indexes serve a user's sent-invite and joined-room counts
        // (`store::user_rooms`); only member events pay for them.
        sql: "
CREATE TABLE membership_room_stats (
    room_id TEXT NOT NULL PRIMARY KEY,
    name TEXT,
    canonical_alias TEXT,
    topic TEXT,
    avatar TEXT,
    encryption TEXT,
    join_rules TEXT,
    guest_access TEXT,
    history_visibility TEXT,
    room_type TEXT,
    federatable BIGINT NOT NULL DEFAULT 1,
    replacement_room TEXT,
    joined_members BIGINT NOT NULL DEFAULT 0,
    joined_local_members BIGINT NOT NULL DEFAULT 0,
    state_events BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX membership_room_stats_joined ON membership_room_stats (joined_members, room_id);
CREATE INDEX membership_room_stats_local ON membership_room_stats (joined_local_members, room_id);
CREATE INDEX membership_room_stats_state ON membership_room_stats (state_events, room_id);
CREATE INDEX membership_room_stats_name ON membership_room_stats (name, room_id);
CREATE INDEX membership_events_member_sender ON membership_events (sender, origin_server_ts)
    WHERE type = 'm.room.member';
CREATE INDEX membership_events_member_target ON membership_events (state_key, origin_server_ts)
    WHERE type = 'm.room.member';
",
        sqlite: None,
    },
    Migration {
        version: 3,
        name: "blocked_rooms_and_purge_indexes",
        // `membership_blocked_rooms`: rooms local users may not join or be invited to
        // (Synapse's `blocked_rooms`); a row outlives the room's purge on purpose, so a
        // deleted room stays blocked. The two indexes let a purge find a room's account
        // data and transaction IDs without scanning those tables
        // (`crate::store::purge`).
        sql: "
CREATE TABLE membership_blocked_rooms (
    room_id TEXT NOT NULL PRIMARY KEY,
    user_id TEXT NOT NULL,
    blocked_ts BIGINT NOT NULL
);
CREATE INDEX membership_account_data_room ON membership_account_data (room_id);
CREATE INDEX membership_txns_room ON membership_txns (room_id);
",
        sqlite: None,
    },
    // Evacuation jobs (versions 100+): see `crate::evacuation::schema`.
    crate::evacuation::schema::JOBS,
    crate::evacuation::schema::ROOM_DELETIONS,
];
