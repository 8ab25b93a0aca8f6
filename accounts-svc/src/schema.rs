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
    // Users administration (Synapse admin API, `gateway/src/routes/users_admin`).
    // `last_seen_ts` is kept on the user row (raised whenever a gateway flushes
    // connections) so lists can sort by it without a join. The two listing indexes lead
    // with the default filters of the users list (`locked = 0`, `deactivated = 0`) and
    // end with the sort keys, so a page at any offset walks one index.
    Migration {
        version: 3,
        name: "users_admin",
        sql: "
ALTER TABLE accounts_users ADD COLUMN avatar_url TEXT;
ALTER TABLE accounts_users ADD COLUMN locked BIGINT NOT NULL DEFAULT 0;
ALTER TABLE accounts_users ADD COLUMN erased BIGINT NOT NULL DEFAULT 0;
ALTER TABLE accounts_users ADD COLUMN shadow_banned BIGINT NOT NULL DEFAULT 0;
ALTER TABLE accounts_users ADD COLUMN is_guest BIGINT NOT NULL DEFAULT 0;
ALTER TABLE accounts_users ADD COLUMN last_seen_ts BIGINT;
CREATE INDEX accounts_users_list_by_name ON accounts_users (locked, deactivated, user_id);
CREATE INDEX accounts_users_list_by_creation
    ON accounts_users (locked, deactivated, created_ts, user_id);
CREATE INDEX accounts_users_by_creation ON accounts_users (created_ts, user_id);
CREATE TABLE accounts_threepids (
    user_id TEXT NOT NULL,
    medium TEXT NOT NULL,
    address TEXT NOT NULL,
    added_at BIGINT NOT NULL,
    validated_at BIGINT NOT NULL,
    PRIMARY KEY (user_id, medium, address)
);
CREATE TABLE accounts_external_ids (
    auth_provider TEXT NOT NULL,
    external_id TEXT NOT NULL,
    user_id TEXT NOT NULL,
    PRIMARY KEY (auth_provider, external_id)
);
CREATE INDEX accounts_external_ids_by_user ON accounts_external_ids (user_id);
",
        sqlite: None,
    },
    // Account moderation (MSC3823/MSC4323, `gateway/src/routes/moderation`): a suspended
    // user may read but not act. Read with every token lookup, like `locked`.
    Migration {
        version: 4,
        name: "suspended",
        sql: "
ALTER TABLE accounts_users ADD COLUMN suspended BIGINT NOT NULL DEFAULT 0;
",
        sqlite: None,
    },
];
