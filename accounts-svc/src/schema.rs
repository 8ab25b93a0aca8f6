//! The accounts schema.
//!
//! Tables are prefixed `accounts_` because the embedded default puts every service in one
//! SQLite file. Only `TEXT` and `BIGINT` are used (flags are 0/1) so one text serves both
//! backends. No foreign keys to other services: each service owns its data.

use bailiff_database::Migration;

/// Schema steps in order. Never edit a released step; add a new one.
pub const MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1,
        name: "users_devices_tokens_connections_nonces",
        sql: "
CREATE TABLE accounts_users (
    user_id TEXT NOT NULL PRIMARY KEY,
    password_hash TEXT,
    displayname TEXT NOT NULL,
    user_type TEXT,
    is_admin BIGINT NOT NULL DEFAULT 0,
    deactivated BIGINT NOT NULL DEFAULT 0,
    created_ts BIGINT NOT NULL
);
CREATE TABLE accounts_devices (
    user_id TEXT NOT NULL,
    device_id TEXT NOT NULL,
    display_name TEXT,
    created_ts BIGINT NOT NULL,
    PRIMARY KEY (user_id, device_id)
);
CREATE TABLE accounts_tokens (
    token_hash TEXT NOT NULL PRIMARY KEY,
    user_id TEXT NOT NULL,
    device_id TEXT NOT NULL,
    created_ts BIGINT NOT NULL
);
CREATE INDEX accounts_tokens_by_device ON accounts_tokens (user_id, device_id);
CREATE TABLE accounts_connections (
    user_id TEXT NOT NULL,
    device_id TEXT NOT NULL,
    ip TEXT NOT NULL,
    user_agent TEXT NOT NULL,
    last_seen BIGINT NOT NULL,
    PRIMARY KEY (user_id, device_id, ip, user_agent)
);
CREATE INDEX accounts_connections_recent ON accounts_connections (user_id, device_id, last_seen);
CREATE TABLE accounts_nonces (
    nonce TEXT NOT NULL PRIMARY KEY,
    created_ts BIGINT NOT NULL
);
CREATE INDEX accounts_nonces_by_age ON accounts_nonces (created_ts);
",
        sqlite: None,
    },
    Migration {
        version: 2,
        name: "secrets",
        sql: "
CREATE TABLE accounts_secrets (
    name TEXT NOT NULL PRIMARY KEY,
    value TEXT NOT NULL
);
",
        sqlite: None,
    },
];
