//! Planning a deletion: block, notification room, affected set, chunks, in one write
//! transaction; then queueing (module docs of `super`).

use std::collections::HashMap;

use bailiff_domain::{JobStatus, now_ms};

use super::super::job::{Job, Target, new_job_id};
use super::super::planner::REFRESH_STATISTICS_FROM;
use super::super::{Evacuator, jobs};
use super::sql::{self, DeletionRow};
use super::{DeleteOptions, Deletion, notification_room};
use crate::error::Error;
use crate::store;

impl Evacuator {
    /// Records a deletion of `options.room_id` and queues its chunks, or returns the
    /// queued or running deletion of that room (`existing`).
    pub async fn plan_deletion(
        &self,
        options: &DeleteOptions,
        trace_context: &HashMap<String, String>,
    ) -> Result<Deletion, Error> {
        let target = Target::RoomDeletion(options.room_id.clone());
        if let Some(creator) = &options.new_room_user_id
            && creator.server_name().as_str() != self.inner.server_name
        {
            return Err(Error::invalid_argument(format!(
                "User must be our own: {creator}"
            )));
        }
        // A lost race on the unique index means another replica planned it: theirs wins.
        for _ in 0..3 {
            if let Some(existing) = self.active_deletion(&target).await? {
                return Ok(existing);
            }
            if let Some(job_id) = self
                .try_plan_deletion(options, &target, trace_context)
                .await?
            {
                return self
                    .deletion(&job_id)
                    .await?
                    .ok_or_else(|| Error::not_found("Job not found"));
            }
        }
        Err(Error::Unavailable(
            "planning kept losing races on the job index",
        ))
    }

    async fn active_deletion(&self, target: &Target) -> Result<Option<Deletion>, Error> {
        let job_id = {
            let mut conn = self.inner.store.conn().await?;
            jobs::active_job(&mut conn, target)
                .await?
                .map(|job| job.job_id)
        };
        let Some(job_id) = job_id else {
            return Ok(None);
        };
        Ok(self.deletion(&job_id).await?.map(|deletion| Deletion {
            existing: true,
            ..deletion
        }))
    }

    /// One attempt: the new job's ID, or `None` when another job took the index.
    async fn try_plan_deletion(
        &self,
        options: &DeleteOptions,
        target: &Target,
        trace_context: &HashMap<String, String>,
    ) -> Result<Option<String>, Error> {
        let room_id = options.room_id.as_str();
        let now = now_ms();
        let mut tx = self.inner.store.begin_write().await?;
        if jobs::active_job(&mut tx, target).await?.is_some() {
            return Ok(None);
        }
        // The block first, even for an unknown room (Synapse blocks rooms it has never
        // seen, so they cannot be joined later).
        if options.block {
            store::block_room(&mut tx, room_id, options.requester.as_str(), now).await?;
        }
        let known = store::get_room(&mut tx, room_id).await?.is_some();
        if !known && !options.block {
            return Err(Error::not_found(format!("Unknown room id {room_id}")));
        }
        let members = if known {
            store::local_joined_members(&mut tx, room_id, &self.inner.server_name).await?
        } else {
            Vec::new()
        };
        let (new_room_id, last_pos) = match (&options.new_room_user_id, known) {
            (Some(creator), true) => {
                let (id, pos) = notification_room::create(
                    &mut tx,
                    &self.inner.server_name,
                    creator,
                    options.room_name.as_deref(),
                    options.message.as_deref(),
                    now,
                )
                .await?;
                (Some(id), pos)
            }
            _ => (None, None),
        };
        let purge = known && options.purge;
        let leave_chunks: Vec<&[String]> = members
            .chunks(self.inner.settings.chunk_size.max(1))
            .collect();
        let leave_count = i64::try_from(leave_chunks.len()).unwrap_or(i64::MAX);
        let total = i64::try_from(members.len()).unwrap_or(i64::MAX) + i64::from(purge);
        let finished = total == 0;
        let job = Job {
            job_id: new_job_id(),
            target: target.clone(),
            status: if finished {
                JobStatus::Complete
            } else {
                JobStatus::Queued
            },
            total,
            done: 0,
            failed: 0,
            created_ts: now,
            finished_ts: finished.then_some(now),
            trace_context: serde_json::to_string(trace_context).unwrap_or_else(|_| "{}".into()),
        };
        if !jobs::insert_job(&mut tx, &job).await? {
            return Ok(None);
        }
        jobs::insert_chunks(&mut tx, &job.job_id, &leave_chunks, now).await?;
        if purge {
            sql::insert_purge_chunk(&mut tx, &job.job_id, leave_count, now).await?;
        }
        sql::insert_deletion(
            &mut tx,
            &DeletionRow {
                job_id: job.job_id.clone(),
                room_id: room_id.to_owned(),
                requester: options.requester.as_str().to_owned(),
                block: i64::from(options.block),
                purge: i64::from(purge),
                new_room_id,
                leave_chunks: leave_count,
                purged_rows: 0,
            },
        )
        .await?;
        tx.commit().await?;
        tracing::info!(job_id = %job.job_id, room_id, members = members.len(), purge, block = options.block, "room deletion planned");
        if let Some(pos) = last_pos {
            self.inner.notifier.committed(pos).await;
        }
        if finished {
            self.settled(&job.job_id, job.status, 0, 0).await;
        } else if leave_count == 0 {
            self.enqueue_chunks(&job.job_id, trace_context, [leave_count])
                .await;
        } else {
            self.enqueue_chunks(&job.job_id, trace_context, 0..leave_count)
                .await;
        }
        if members.len() >= REFRESH_STATISTICS_FROM {
            self.refresh_statistics().await;
        }
        Ok(Some(job.job_id))
    }
}
