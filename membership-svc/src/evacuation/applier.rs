//! Applying a chunk: in ONE transaction, flip it `pending` → `done`, append the leaves,
//! advance the job. Only the transaction whose flip commits counts the chunk.

use std::time::Duration;

use bailiff_database::Backend;
use bailiff_domain::{JobStatus, now_ms};

use super::job::{Applied, Job, Target};
use super::jobs::{self, JobRow};
use super::{Evacuator, JOBS_TOPIC, leaves};
use crate::error::Error;

/// Longest pause after a chunk on SQLite, leaving the write lock to other writers.
const SQLITE_PAUSE_MAX: Duration = Duration::from_millis(50);

impl Evacuator {
    /// Applies one chunk in one transaction (see the module docs). Entries no longer
    /// joined (or invited, for a user job) are skipped. A job whose row does not decode
    /// gets the chunk failed instead ([`Applied::Undecodable`]): it is never counted as
    /// done without having been applied.
    pub async fn apply_chunk(&self, job_id: &str, chunk: i64) -> Result<Applied, Error> {
        let mut tx = self.inner.store.begin_write().await?;
        let now = now_ms();
        let Some(row) = jobs::get_job_row(&mut tx, job_id).await? else {
            return Ok(Applied::AlreadySettled);
        };
        let job = match Job::try_from(row) {
            Ok(job) => job,
            Err(error) => {
                tracing::error!(%error, job_id, chunk, "evacuation job does not decode; failing its chunk");
                let Some(size) = jobs::fail_chunk(&mut tx, job_id, chunk, now).await? else {
                    return Ok(Applied::AlreadySettled);
                };
                let row = jobs::advance(&mut tx, job_id, 0, size, now).await?;
                tx.commit().await?;
                if let Some(row) = row {
                    self.settled_row(&row).await;
                }
                return Ok(Applied::Undecodable { size });
            }
        };
        if let Target::RoomDeletion(room_id) = &job.target {
            // Its own transactions (a purge takes many): see `super::deletion`.
            drop(tx);
            return self.apply_deletion_chunk(&job, room_id, chunk).await;
        }
        let Some(items) = jobs::claim_chunk(&mut tx, job_id, chunk, now).await? else {
            return Ok(Applied::AlreadySettled);
        };
        let (events, last_pos) = match &job.target {
            Target::Room(room_id) => leaves::room_members(&mut tx, room_id, &items, now).await?,
            Target::User(user_id) => leaves::user_rooms(&mut tx, user_id, &items, now).await?,
            Target::RoomDeletion(_) => (0, None),
        };
        let count = i64::try_from(items.len()).unwrap_or(i64::MAX);
        let job = match jobs::advance(&mut tx, job_id, count, 0, now).await? {
            Some(row) => Job::try_from(row)?,
            None => job,
        };
        tx.commit().await?;
        if let Some(pos) = last_pos {
            self.inner.notifier.committed(pos).await;
        }
        self.settled(&job.job_id, job.status, job.done, job.failed)
            .await;
        Ok(Applied::Done { events, job })
    }

    /// Counts a dead-lettered chunk as failed. `Ok(false)` when it was not pending.
    pub async fn fail_chunk(&self, job_id: &str, chunk: i64) -> Result<bool, Error> {
        let mut tx = self.inner.store.begin_write().await?;
        let now = now_ms();
        let Some(size) = jobs::fail_chunk(&mut tx, job_id, chunk, now).await? else {
            return Ok(false);
        };
        let row = jobs::advance(&mut tx, job_id, 0, size, now).await?;
        tx.commit().await?;
        if let Some(row) = row {
            self.settled_row(&row).await;
        }
        // A failed leave chunk of a deletion may be the last one its purge waits for.
        self.queue_purge_if_ready(job_id).await;
        Ok(true)
    }

    /// [`Self::settled`] for an undecoded row: only its status need decode, so the
    /// end of a job whose kind is unknown is still announced.
    async fn settled_row(&self, row: &JobRow) {
        match row.status.parse::<JobStatus>() {
            Ok(status) => {
                self.settled(&row.job_id, status, row.done, row.failed)
                    .await;
            }
            Err(error) => {
                tracing::error!(%error, job_id = %row.job_id, "job status does not decode");
            }
        }
    }

    /// After a chunk settled: announce the job's end, if this was it.
    pub(super) async fn settled(&self, job_id: &str, status: JobStatus, done: i64, failed: i64) {
        if status.is_final() {
            tracing::info!(job_id, %status, done, failed, "evacuation finished");
            if let Err(error) = self.inner.bus.publish(JOBS_TOPIC, job_id).await {
                tracing::warn!(%error, "cannot publish a job completion; waiters will poll");
            }
        }
    }

    /// `apply_chunk`, one at a time per process, retried for a while when the database
    /// is unreachable so a short outage does not use up the chunk's deliveries.
    ///
    /// Chunk transactions serialize on the write lock anyway; taking turns here keeps
    /// this process's workers from contending for it. On SQLite (the embedded default,
    /// whose waiting writers poll rather than queue) the turn is held a little after each
    /// chunk, so requests writing meanwhile are not starved by back-to-back chunks.
    pub(super) async fn apply_patiently(&self, job_id: &str, chunk: i64) -> Result<Applied, Error> {
        let _turn = self.inner.apply_turn.lock().await;
        let started = tokio::time::Instant::now();
        let applied = self.apply_retrying(job_id, chunk).await;
        if self.inner.store.db().backend == Backend::Sqlite {
            tokio::time::sleep(started.elapsed().min(SQLITE_PAUSE_MAX)).await;
        }
        applied
    }

    async fn apply_retrying(&self, job_id: &str, chunk: i64) -> Result<Applied, Error> {
        let deadline = tokio::time::Instant::now() + self.inner.settings.unavailable_patience;
        let mut pause = Duration::from_millis(100);
        loop {
            match self.apply_chunk(job_id, chunk).await {
                Err(error)
                    if error.is_unavailable() && tokio::time::Instant::now() + pause < deadline =>
                {
                    tracing::debug!(%error, job_id, chunk, "database unreachable; retrying the chunk");
                    tokio::time::sleep(pause).await;
                    pause = (pause * 2).min(Duration::from_secs(1));
                }
                other => return other,
            }
        }
    }
}
