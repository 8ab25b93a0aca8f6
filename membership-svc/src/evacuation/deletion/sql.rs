//! SQL of room deletions (table `membership_room_deletions`, `super::super::schema`) and
//! of the chunk reads they need beyond `super::super::jobs`.

use bailiff_domain::ChunkState;
use sqlx::AnyConnection;

/// A deletion's row: the job's options and what it made.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub(crate) struct DeletionRow {
    pub(crate) job_id: String,
    pub(crate) room_id: String,
    pub(crate) requester: String,
    /// 0/1.
    pub(crate) block: i64,
    /// 0/1.
    pub(crate) purge: i64,
    pub(crate) new_room_id: Option<String>,
    /// Chunks `0..leave_chunks` are leave chunks; chunk `leave_chunks` is the purge chunk
    /// when `purge` is set.
    pub(crate) leave_chunks: i64,
    pub(crate) purged_rows: i64,
}

impl DeletionRow {
    /// The purge chunk's number, when the deletion purges.
    pub(crate) fn purge_chunk(&self) -> Option<i64> {
        (self.purge != 0).then_some(self.leave_chunks)
    }
}

const COLUMNS: &str =
    "job_id, room_id, requester, block, purge, new_room_id, leave_chunks, purged_rows";

pub(crate) async fn insert_deletion(
    conn: &mut AnyConnection,
    row: &DeletionRow,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO membership_room_deletions (job_id, room_id, requester, block, purge, \
         new_room_id, leave_chunks, purged_rows) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(&row.job_id)
    .bind(&row.room_id)
    .bind(&row.requester)
    .bind(row.block)
    .bind(row.purge)
    .bind(row.new_room_id.as_deref())
    .bind(row.leave_chunks)
    .bind(row.purged_rows)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

pub(crate) async fn get_deletion(
    conn: &mut AnyConnection,
    job_id: &str,
) -> Result<Option<DeletionRow>, sqlx::Error> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM membership_room_deletions WHERE job_id = $1"
    )))
    .bind(job_id)
    .fetch_optional(&mut *conn)
    .await
}

/// Job IDs of the room's deletions, oldest first.
pub(crate) async fn deletions_of_room(
    conn: &mut AnyConnection,
    room_id: &str,
) -> Result<Vec<String>, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT d.job_id FROM membership_room_deletions d JOIN membership_evac_jobs j \
         ON j.job_id = d.job_id WHERE d.room_id = $1 ORDER BY j.created_ts, d.job_id",
    )
    .bind(room_id)
    .fetch_all(&mut *conn)
    .await
}

/// Counts rows a purge step removed (for the status; the rows left are the progress).
pub(crate) async fn add_purged(
    conn: &mut AnyConnection,
    job_id: &str,
    rows: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE membership_room_deletions SET purged_rows = purged_rows + $1 WHERE job_id = $2",
    )
    .bind(rows)
    .bind(job_id)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Stores the purge chunk: no items (the purge affects no user), size 1 (it counts as one
/// entry of the job, so the job completes only after it).
pub(crate) async fn insert_purge_chunk(
    conn: &mut AnyConnection,
    job_id: &str,
    chunk: i64,
    now_ms: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO membership_evac_chunks (job_id, chunk, state, size, items, enqueued_ts) \
         VALUES ($1, $2, $3, 1, '[]', $4)",
    )
    .bind(job_id)
    .bind(chunk)
    .bind(ChunkState::Pending.as_str())
    .bind(now_ms)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// How many of chunks `0..below` are still pending.
pub(crate) async fn pending_below(
    conn: &mut AnyConnection,
    job_id: &str,
    below: i64,
) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT COUNT(*) FROM membership_evac_chunks WHERE job_id = $1 AND chunk < $2 \
         AND state = $3",
    )
    .bind(job_id)
    .bind(below)
    .bind(ChunkState::Pending.as_str())
    .fetch_one(&mut *conn)
    .await
}

/// Whether the chunk is pending.
pub(crate) async fn is_pending(
    conn: &mut AnyConnection,
    job_id: &str,
    chunk: i64,
) -> Result<bool, sqlx::Error> {
    let state: Option<String> = sqlx::query_scalar(
        "SELECT state FROM membership_evac_chunks WHERE job_id = $1 AND chunk = $2",
    )
    .bind(job_id)
    .bind(chunk)
    .fetch_optional(&mut *conn)
    .await?;
    Ok(state.as_deref() == Some(ChunkState::Pending.as_str()))
}

/// Items of the chunks `0..below` in `state`, in chunk order.
pub(crate) async fn items_in_state(
    conn: &mut AnyConnection,
    job_id: &str,
    below: i64,
    state: ChunkState,
) -> Result<Vec<String>, sqlx::Error> {
    let chunks: Vec<String> = sqlx::query_scalar(
        "SELECT items FROM membership_evac_chunks WHERE job_id = $1 AND chunk < $2 \
         AND state = $3 ORDER BY chunk",
    )
    .bind(job_id)
    .bind(below)
    .bind(state.as_str())
    .fetch_all(&mut *conn)
    .await?;
    Ok(chunks
        .iter()
        .flat_map(|items| serde_json::from_str::<Vec<String>>(items).unwrap_or_default())
        .collect())
}
