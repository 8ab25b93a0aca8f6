//! Applying a deletion's chunks: leave chunks (one transaction each, as evacuateRoom's,
//! plus the joins to the notification room) and the purge chunk (bounded steps, each
//! its own transaction). See the module docs of `super`.

use bailiff_database::Backend;
use bailiff_domain::{Membership, RoomId, now_ms};

use super::super::job::{Applied, Job};
use super::super::planner::trace_map;
use super::super::{Evacuator, jobs, leaves};
use super::sql::{self, DeletionRow};
use crate::error::Error;
use crate::store::{self, MemberChange, purge};

/// Longest pause between purge steps on SQLite, leaving the write lock to others.
const SQLITE_STEP_PAUSE_MAX: std::time::Duration = std::time::Duration::from_millis(50);

impl Evacuator {
    /// Applies one delivery of a deletion's chunk.
    pub(in super::super) async fn apply_deletion_chunk(
        &self,
        job: &Job,
        room_id: &RoomId,
        chunk: i64,
    ) -> Result<Applied, Error> {
        let row = {
            let mut conn = self.inner.store.conn().await?;
            sql::get_deletion(&mut conn, &job.job_id).await?
        };
        let Some(row) = row else {
            // Written in the job's own transaction, so this is damage, not a race.
            return Err(Error::CorruptRow(format!(
                "room deletion {} has no options row",
                job.job_id
            )));
        };
        if chunk < row.leave_chunks {
            self.apply_leave_chunk(&row, room_id, chunk).await
        } else if row.purge_chunk() == Some(chunk) {
            self.apply_purge_chunk(&row, room_id, chunk).await
        } else {
            Ok(Applied::AlreadySettled)
        }
    }

    async fn apply_leave_chunk(
        &self,
        row: &DeletionRow,
        room_id: &RoomId,
        chunk: i64,
    ) -> Result<Applied, Error> {
        let job_id = row.job_id.as_str();
        let mut tx = self.inner.store.begin_write().await?;
        let now = now_ms();
        let Some(items) = jobs::claim_chunk(&mut tx, job_id, chunk, now).await? else {
            return Ok(Applied::AlreadySettled);
        };
        let joined = jobs::joined_member_events(&mut tx, room_id.as_str(), &items).await?;
        let (events, mut last_pos) = leaves::room_members(&mut tx, room_id, &items, now).await?;
        if let Some(new_room) = &row.new_room_id {
            // Those who just left, minus any already in the notification room (its
            // creator may have been a member of the deleted room).
            let movers: Vec<String> = items
                .iter()
                .filter(|user| joined.contains_key(*user))
                .cloned()
                .collect();
            let present = jobs::joined_member_events(&mut tx, new_room, &movers).await?;
            let changes: Vec<MemberChange> = movers
                .iter()
                .filter(|user| !present.contains_key(*user))
                .map(|user| MemberChange::by_self(user, Membership::Join, "{}"))
                .collect();
            if !changes.is_empty() {
                store::append_member_events(&mut tx, new_room, &changes, now).await?;
                last_pos = Some(store::current_pos(&mut tx).await?);
            }
        }
        let count = i64::try_from(items.len()).unwrap_or(i64::MAX);
        let job = match jobs::advance(&mut tx, job_id, count, 0, now).await? {
            Some(row) => Job::try_from(row)?,
            None => return Ok(Applied::AlreadySettled),
        };
        tx.commit().await?;
        if let Some(pos) = last_pos {
            self.inner.notifier.committed(pos).await;
        }
        self.settled(job_id, job.status, job.done, job.failed).await;
        self.queue_purge_if_ready(job_id).await;
        Ok(Applied::Done { events, job })
    }

    /// Purge steps until the room has no row left (then the chunk and the job finish in
    /// the last step's transaction) or the time slice is used up (then the continuation
    /// is queued). Before its leave chunks have all settled, it does nothing: the last
    /// of them queues it again.
    async fn apply_purge_chunk(
        &self,
        row: &DeletionRow,
        room_id: &RoomId,
        chunk: i64,
    ) -> Result<Applied, Error> {
        let job_id = row.job_id.as_str();
        let started = tokio::time::Instant::now();
        loop {
            let step_started = tokio::time::Instant::now();
            let mut tx = self.inner.store.begin_write().await?;
            if !sql::is_pending(&mut tx, job_id, chunk).await? {
                return Ok(Applied::AlreadySettled);
            }
            if sql::pending_below(&mut tx, job_id, row.leave_chunks).await? > 0 {
                return Ok(Applied::Deferred);
            }
            let removed =
                purge::purge_step(&mut tx, room_id.as_str(), self.inner.settings.purge_batch)
                    .await?;
            if removed == 0 {
                let now = now_ms();
                if jobs::claim_chunk(&mut tx, job_id, chunk, now)
                    .await?
                    .is_none()
                {
                    return Ok(Applied::AlreadySettled);
                }
                let Some(job_row) = jobs::advance(&mut tx, job_id, 1, 0, now).await? else {
                    return Ok(Applied::AlreadySettled);
                };
                let job = Job::try_from(job_row)?;
                tx.commit().await?;
                tracing::info!(job_id, room_id = room_id.as_str(), "room purged");
                self.settled(job_id, job.status, job.done, job.failed).await;
                return Ok(Applied::Done { events: 0, job });
            }
            sql::add_purged(&mut tx, job_id, i64::try_from(removed).unwrap_or(i64::MAX)).await?;
            tx.commit().await?;
            if started.elapsed() >= self.inner.settings.purge_slice {
                self.queue_chunk(job_id, chunk).await;
                return Ok(Applied::Deferred);
            }
            if self.inner.store.db().backend == Backend::Sqlite {
                tokio::time::sleep(step_started.elapsed().min(SQLITE_STEP_PAUSE_MAX)).await;
            }
        }
    }

    /// Queues a deletion's purge chunk once none of its leave chunks is pending. Called
    /// after every leave chunk settles (applied or dead-lettered); a no-op for other jobs.
    /// A lost queue message is re-sent by the sweeper (`Settings::stale_after`).
    pub(in super::super) async fn queue_purge_if_ready(&self, job_id: &str) {
        let ready = async {
            let mut conn = self.inner.store.conn().await?;
            let Some(row) = sql::get_deletion(&mut conn, job_id).await? else {
                return Ok::<_, Error>(None);
            };
            let Some(chunk) = row.purge_chunk() else {
                return Ok(None);
            };
            if sql::pending_below(&mut conn, job_id, row.leave_chunks).await? > 0
                || !sql::is_pending(&mut conn, job_id, chunk).await?
            {
                return Ok(None);
            }
            Ok(Some(chunk))
        };
        match ready.await {
            Ok(Some(chunk)) => self.queue_chunk(job_id, chunk).await,
            Ok(None) => {}
            Err(error) => {
                tracing::warn!(%error, job_id, "cannot check the purge chunk; the sweeper will queue it");
            }
        }
    }

    /// Queues one chunk with the job's stored trace context.
    async fn queue_chunk(&self, job_id: &str, chunk: i64) {
        let trace = async {
            let mut conn = self.inner.store.conn().await?;
            Ok::<_, Error>(jobs::get_job_row(&mut conn, job_id).await?)
        };
        let trace = match trace.await {
            Ok(Some(row)) => trace_map(&row.trace_context),
            _ => std::collections::HashMap::new(),
        };
        self.enqueue_chunks(job_id, &trace, [chunk]).await;
    }
}
