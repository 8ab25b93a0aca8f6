//! SQL of evacuation jobs and their chunks (tables in [`super::schema`]). Like the room
//! store, every function takes a connection so several compose in one transaction.

//!
//! Rows come back as [`JobRow`] (the columns' text) and are decoded into [`Job`] with
//! `TryFrom`: a kind, status or target that does not decode is an error, never a default.

use std::collections::HashMap;

use bailiff_domain::{ChunkState, JobStatus, Membership};
use sqlx::{AnyConnection, AssertSqlSafe};

use super::job::{Job, Target};
use crate::error::Error;
use crate::store::{Prior, ROWS_PER_STATEMENT, keys_per_statement, placeholders, row_placeholders};

/// A job's row as stored, before decoding into a [`Job`].
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct JobRow {
    /// See [`Job::job_id`].
    pub job_id: String,
    /// A [`bailiff_domain::JobKind`] spelling.
    pub kind: String,
    /// See [`Job::target`].
    pub target: String,
    /// A [`JobStatus`] spelling.
    pub status: String,
    /// See [`Job::total`].
    pub total: i64,
    /// See [`Job::done`].
    pub done: i64,
    /// See [`Job::failed`].
    pub failed: i64,
    /// See [`Job::created_ts`].
    pub created_ts: i64,
    /// See [`Job::finished_ts`].
    pub finished_ts: Option<i64>,
    /// See [`Job::trace_context`].
    pub trace_context: String,
}

const JOB_COLUMNS: &str =
    "job_id, kind, target, status, total, done, failed, created_ts, finished_ts, trace_context";

/// `status IN (queued, running)`, spelled as the partial unique index spells it (in
/// `super::schema`), so PostgreSQL can use that index.
fn active_status_sql() -> String {
    format!(
        "status IN ('{}', '{}')",
        JobStatus::Queued.as_str(),
        JobStatus::Running.as_str()
    )
}

fn decode(row: Option<JobRow>) -> Result<Option<Job>, Error> {
    row.map(Job::try_from).transpose()
}

/// The queued or running job for (kind, target), if any.
pub async fn active_job(conn: &mut AnyConnection, target: &Target) -> Result<Option<Job>, Error> {
    let row = sqlx::query_as(AssertSqlSafe(format!(
        "SELECT {JOB_COLUMNS} FROM membership_evac_jobs WHERE kind = $1 AND target = $2 \
         AND {}",
        active_status_sql()
    )))
    .bind(target.kind().as_str())
    .bind(target.as_str())
    .fetch_optional(&mut *conn)
    .await?;
    decode(row)
}

/// A job by ID.
pub async fn get_job(conn: &mut AnyConnection, job_id: &str) -> Result<Option<Job>, Error> {
    decode(get_job_row(conn, job_id).await?)
}

/// A job's row by ID, undecoded: for the applier, which must settle the chunks of a
/// job whose row does not decode.
pub async fn get_job_row(
    conn: &mut AnyConnection,
    job_id: &str,
) -> Result<Option<JobRow>, sqlx::Error> {
    sqlx::query_as(AssertSqlSafe(format!(
        "SELECT {JOB_COLUMNS} FROM membership_evac_jobs WHERE job_id = $1"
    )))
    .bind(job_id)
    .fetch_optional(&mut *conn)
    .await
}

/// Records a job. `false` when another queued or running job for the same (kind,
/// target) already holds the unique index.
pub async fn insert_job(conn: &mut AnyConnection, job: &Job) -> Result<bool, sqlx::Error> {
    let inserted = sqlx::query(
        "INSERT INTO membership_evac_jobs (job_id, kind, target, status, total, done, failed, \
         created_ts, finished_ts, trace_context) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) \
         ON CONFLICT DO NOTHING",
    )
    .bind(&job.job_id)
    .bind(job.kind().as_str())
    .bind(job.target.as_str())
    .bind(job.status.as_str())
    .bind(job.total)
    .bind(job.done)
    .bind(job.failed)
    .bind(job.created_ts)
    .bind(job.finished_ts)
    .bind(&job.trace_context)
    .execute(&mut *conn)
    .await?
    .rows_affected();
    Ok(inserted == 1)
}

/// Stores a job's chunks (numbered from 0), all `pending`.
pub async fn insert_chunks(
    conn: &mut AnyConnection,
    job_id: &str,
    chunks: &[&[String]],
    now_ms: i64,
) -> Result<(), sqlx::Error> {
    const WIDTH: usize = 6;
    let rows: Vec<(i64, &[String])> = (0i64..).zip(chunks.iter().copied()).collect();
    for batch in rows.chunks(ROWS_PER_STATEMENT) {
        let sql = format!(
            "INSERT INTO membership_evac_chunks (job_id, chunk, state, size, items, enqueued_ts) \
             VALUES {}",
            row_placeholders(conn, batch.len(), WIDTH)
        );
        let mut query = sqlx::query(AssertSqlSafe(sql));
        for (chunk, items) in batch {
            query = query
                .bind(job_id)
                .bind(*chunk)
                .bind(ChunkState::Pending.as_str())
                .bind(i64::try_from(items.len()).unwrap_or(i64::MAX))
                .bind(serde_json::to_string(items).unwrap_or_else(|_| "[]".to_owned()))
                .bind(now_ms);
        }
        query.execute(&mut *conn).await?;
    }
    Ok(())
}

/// The job's affected set, in planning order.
pub async fn affected(conn: &mut AnyConnection, job_id: &str) -> Result<Vec<String>, sqlx::Error> {
    let chunks: Vec<String> = sqlx::query_scalar(
        "SELECT items FROM membership_evac_chunks WHERE job_id = $1 ORDER BY chunk",
    )
    .bind(job_id)
    .fetch_all(&mut *conn)
    .await?;
    Ok(chunks.iter().flat_map(|items| parse_items(items)).collect())
}

fn parse_items(items: &str) -> Vec<String> {
    serde_json::from_str(items).unwrap_or_default()
}

/// Flips a chunk from `pending` to `done` and returns its items; `None` when it is not
/// pending (already applied, dead-lettered, or unknown). Inside the transaction that
/// applies the chunk, this is what makes progress exact: only the transaction whose
/// flip commits counts the chunk.
pub async fn claim_chunk(
    conn: &mut AnyConnection,
    job_id: &str,
    chunk: i64,
    now_ms: i64,
) -> Result<Option<Vec<String>>, sqlx::Error> {
    let items: Option<String> = sqlx::query_scalar(
        "UPDATE membership_evac_chunks SET state = $1, finished_ts = $2 \
         WHERE job_id = $3 AND chunk = $4 AND state = $5 RETURNING items",
    )
    .bind(ChunkState::Done.as_str())
    .bind(now_ms)
    .bind(job_id)
    .bind(chunk)
    .bind(ChunkState::Pending.as_str())
    .fetch_optional(&mut *conn)
    .await?;
    Ok(items.as_deref().map(parse_items))
}

/// Flips a chunk from `pending` to `failed` and returns its size; `None` when it is not
/// pending.
pub async fn fail_chunk(
    conn: &mut AnyConnection,
    job_id: &str,
    chunk: i64,
    now_ms: i64,
) -> Result<Option<i64>, sqlx::Error> {
    sqlx::query_scalar(
        "UPDATE membership_evac_chunks SET state = $1, finished_ts = $2 \
         WHERE job_id = $3 AND chunk = $4 AND state = $5 RETURNING size",
    )
    .bind(ChunkState::Failed.as_str())
    .bind(now_ms)
    .bind(job_id)
    .bind(chunk)
    .bind(ChunkState::Pending.as_str())
    .fetch_optional(&mut *conn)
    .await
}

/// Adds settled entries to a job's counters and moves its status on: `running` while
/// entries remain, then `complete` (nothing failed) or `failed`, with `finished_ts`.
/// Returns the updated row, undecoded (see [`get_job_row`]).
pub async fn advance(
    conn: &mut AnyConnection,
    job_id: &str,
    done: i64,
    failed: i64,
    now_ms: i64,
) -> Result<Option<JobRow>, sqlx::Error> {
    sqlx::query_as(AssertSqlSafe(format!(
        "UPDATE membership_evac_jobs SET done = done + $1, failed = failed + $2, \
         status = CASE WHEN done + $1 + failed + $2 >= total \
             THEN (CASE WHEN failed + $2 > 0 THEN $5 ELSE $6 END) \
             ELSE $7 END, \
         finished_ts = CASE WHEN done + $1 + failed + $2 >= total THEN $3 ELSE NULL END \
         WHERE job_id = $4 RETURNING {JOB_COLUMNS}"
    )))
    .bind(done)
    .bind(failed)
    .bind(now_ms)
    .bind(job_id)
    .bind(JobStatus::Failed.as_str())
    .bind(JobStatus::Complete.as_str())
    .bind(JobStatus::Running.as_str())
    .fetch_optional(&mut *conn)
    .await
}

/// (job ID, trace context) of queued and running jobs, oldest first. Only what
/// re-queueing needs, so a job whose kind does not decode is re-queued too (and its
/// chunks then failed by the applier) rather than blocking the others.
pub async fn unfinished_jobs(
    conn: &mut AnyConnection,
) -> Result<Vec<(String, String)>, sqlx::Error> {
    sqlx::query_as(AssertSqlSafe(format!(
        "SELECT job_id, trace_context FROM membership_evac_jobs WHERE {} ORDER BY created_ts",
        active_status_sql()
    )))
    .fetch_all(&mut *conn)
    .await
}

/// Marks every pending chunk of the job as enqueued now and returns their numbers.
pub async fn touch_pending_chunks(
    conn: &mut AnyConnection,
    job_id: &str,
    now_ms: i64,
) -> Result<Vec<i64>, sqlx::Error> {
    let mut chunks: Vec<i64> = sqlx::query_scalar(
        "UPDATE membership_evac_chunks SET enqueued_ts = $1 WHERE job_id = $2 AND state = $3 \
         RETURNING chunk",
    )
    .bind(now_ms)
    .bind(job_id)
    .bind(ChunkState::Pending.as_str())
    .fetch_all(&mut *conn)
    .await?;
    chunks.sort_unstable();
    Ok(chunks)
}

/// Claims chunks pending since before `cutoff_ms` for re-sending: marks them enqueued
/// now and returns (job ID, chunk). Each row is claimed by one caller, so replicas
/// sweeping at once do not all re-send the same chunks.
pub async fn claim_stale_chunks(
    conn: &mut AnyConnection,
    cutoff_ms: i64,
    now_ms: i64,
    limit: i64,
) -> Result<Vec<(String, i64)>, sqlx::Error> {
    sqlx::query_as(
        "UPDATE membership_evac_chunks SET enqueued_ts = $1 WHERE state = $2 \
         AND enqueued_ts < $3 AND (job_id, chunk) IN (SELECT job_id, chunk FROM \
         membership_evac_chunks WHERE state = $2 AND enqueued_ts < $3 LIMIT $4) \
         RETURNING job_id, chunk",
    )
    .bind(now_ms)
    .bind(ChunkState::Pending.as_str())
    .bind(cutoff_ms)
    .bind(limit)
    .fetch_all(&mut *conn)
    .await
}

/// The trace contexts of the given jobs.
pub async fn trace_contexts(
    conn: &mut AnyConnection,
    job_ids: &[&str],
) -> Result<HashMap<String, String>, sqlx::Error> {
    let mut found = HashMap::new();
    for batch in job_ids.chunks(keys_per_statement(conn)) {
        let sql = format!(
            "SELECT job_id, trace_context FROM membership_evac_jobs WHERE job_id IN ({})",
            placeholders(1, batch.len())
        );
        let mut query = sqlx::query_as::<_, (String, String)>(AssertSqlSafe(sql));
        for job_id in batch {
            query = query.bind(*job_id);
        }
        found.extend(query.fetch_all(&mut *conn).await?);
    }
    Ok(found)
}

/// Number of jobs in each state. A status that names no [`JobStatus`] is an error.
pub async fn count_by_status(conn: &mut AnyConnection) -> Result<Vec<(JobStatus, i64)>, Error> {
    let rows: Vec<(String, i64)> =
        sqlx::query_as("SELECT status, COUNT(*) FROM membership_evac_jobs GROUP BY status")
            .fetch_all(&mut *conn)
            .await?;
    rows.into_iter()
        .map(|(status, count)| Ok((status.parse()?, count)))
        .collect()
}

/// The current member event (ID, content, sender) of those of `users` whose membership
/// in the room is `join`: both which of them still need a leave and the prior state the
/// leave replaces.
pub async fn joined_member_events(
    conn: &mut AnyConnection,
    room_id: &str,
    users: &[String],
) -> Result<HashMap<String, Prior>, sqlx::Error> {
    let mut found = HashMap::with_capacity(users.len());
    for batch in users.chunks(keys_per_statement(conn)) {
        let sql = format!(
            "SELECT user_id, event_id, content, sender FROM membership_members \
             WHERE room_id = $1 AND membership = $2 AND user_id IN ({})",
            placeholders(3, batch.len())
        );
        let mut query = sqlx::query_as::<_, (String, String, String, String)>(AssertSqlSafe(sql))
            .bind(room_id)
            .bind(Membership::Join.as_str());
        for user in batch {
            query = query.bind(user);
        }
        for (user_id, event_id, content, sender) in query.fetch_all(&mut *conn).await? {
            found.insert(
                user_id,
                Prior {
                    event_id,
                    content,
                    sender,
                },
            );
        }
    }
    Ok(found)
}
