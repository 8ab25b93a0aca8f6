//! The evacuation tables, appended to [`crate::MIGRATIONS`] (versions 100 and up, so the
//! room schema can grow 2, 3, … without colliding).
//!
//! - `membership_evac_jobs`: one row per job. `total`, `done` and `failed` count affected
//!   entries (users of a room job, rooms of a user job). A partial unique index allows
//!   one queued-or-running job per (kind, target): the race-safe half of de-duplication.
//! - `membership_evac_chunks`: the job's affected set, split in order. `items` is a JSON
//!   array; the job's `affected` is the concatenation of its chunks by `chunk`. `state`
//!   moves `pending` → `done` (applied) or `pending` → `failed` (dead-lettered), once.
//!   `enqueued_ts` is when the chunk was last handed to the queue (the sweeper re-sends
//!   chunks pending for too long).

use bailiff_database::Migration;

pub(crate) const JOBS: Migration = Migration {
    version: 100,
    name: "evacuation_jobs_and_chunks",
    sql: "
CREATE TABLE membership_evac_jobs (
    job_id TEXT NOT NULL PRIMARY KEY,
    kind TEXT NOT NULL,
    target TEXT NOT NULL,
    status TEXT NOT NULL,
    total BIGINT NOT NULL,
    done BIGINT NOT NULL DEFAULT 0,
    failed BIGINT NOT NULL DEFAULT 0,
    created_ts BIGINT NOT NULL,
    finished_ts BIGINT,
    trace_context TEXT NOT NULL
);
CREATE UNIQUE INDEX membership_evac_jobs_active ON membership_evac_jobs (kind, target)
    WHERE status IN ('queued', 'running');
CREATE INDEX membership_evac_jobs_status ON membership_evac_jobs (status);
CREATE TABLE membership_evac_chunks (
    job_id TEXT NOT NULL,
    chunk BIGINT NOT NULL,
    state TEXT NOT NULL,
    size BIGINT NOT NULL,
    items TEXT NOT NULL,
    enqueued_ts BIGINT NOT NULL,
    finished_ts BIGINT,
    PRIMARY KEY (job_id, chunk)
);
CREATE INDEX membership_evac_chunks_pending ON membership_evac_chunks (state, enqueued_ts);
",
    sqlite: None,
};

/// One row per room-deletion job (kind `room_deletion`): its options and what it made.
/// `leave_chunks` is how many of the job's chunks are leave chunks (numbered from 0);
/// when `purge` is set, chunk `leave_chunks` is the purge chunk. `room_id` duplicates
/// the job's target so deletions are listed by room without decoding jobs.
pub(crate) const ROOM_DELETIONS: Migration = Migration {
    version: 101,
    name: "room_deletions",
    sql: "
CREATE TABLE membership_room_deletions (
    job_id TEXT NOT NULL PRIMARY KEY,
    room_id TEXT NOT NULL,
    requester TEXT NOT NULL,
    block BIGINT NOT NULL,
    purge BIGINT NOT NULL,
    new_room_id TEXT,
    leave_chunks BIGINT NOT NULL,
    purged_rows BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX membership_room_deletions_room ON membership_room_deletions (room_id);
",
    sqlite: None,
};
