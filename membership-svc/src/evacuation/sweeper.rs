//! Re-queueing: unfinished jobs at start-up and after a queue reset, and chunks pending
//! for longer than `Settings::stale_after`.

use bailiff_domain::now_ms;

use super::planner::trace_map;
use super::{Evacuator, jobs};
use crate::error::Error;

impl Evacuator {
    /// Queues the pending chunks of every unfinished job again. Returns how many.
    pub async fn replan(&self) -> Result<usize, Error> {
        let jobs = {
            let mut conn = self.inner.store.conn().await?;
            jobs::unfinished_jobs(&mut conn).await?
        };
        let mut queued = 0;
        for (job_id, trace_context) in jobs {
            let chunks = {
                let mut conn = self.inner.store.conn().await?;
                jobs::touch_pending_chunks(&mut conn, &job_id, now_ms()).await?
            };
            queued += chunks.len();
            tracing::info!(
                job_id,
                chunks = chunks.len(),
                "re-queueing an unfinished job"
            );
            self.enqueue_chunks(&job_id, &trace_map(&trace_context), chunks)
                .await;
        }
        Ok(queued)
    }

    /// Queues again chunks pending for longer than `stale_after`. Returns how many.
    pub async fn sweep(&self) -> Result<usize, Error> {
        let now = now_ms();
        let cutoff =
            now - i64::try_from(self.inner.settings.stale_after.as_millis()).unwrap_or(i64::MAX);
        let mut conn = self.inner.store.conn().await?;
        let stale = jobs::claim_stale_chunks(&mut conn, cutoff, now, 1000).await?;
        if stale.is_empty() {
            return Ok(0);
        }
        let mut job_ids: Vec<&str> = stale.iter().map(|(job, _)| job.as_str()).collect();
        job_ids.sort_unstable();
        job_ids.dedup();
        let traces = jobs::trace_contexts(&mut conn, &job_ids).await?;
        drop(conn);
        for job_id in job_ids {
            let chunks = stale
                .iter()
                .filter(|(job, _)| job == job_id)
                .map(|(_, chunk)| *chunk);
            let trace = traces.get(job_id).map(|t| trace_map(t)).unwrap_or_default();
            tracing::info!(job_id, "re-queueing chunks pending for too long");
            self.enqueue_chunks(job_id, &trace, chunks).await;
        }
        Ok(stale.len())
    }

    /// Sweeps and refreshes the gauges every `sweep_every`, until shutdown.
    pub(super) async fn sweep_forever(&self) {
        let mut ticks = tokio::time::interval(self.inner.settings.sweep_every);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                () = self.inner.shutdown.cancelled() => return,
                _ = ticks.tick() => {}
            }
            if let Err(error) = self.sweep().await {
                tracing::warn!(%error, "sweeping stale chunks failed");
            }
            self.refresh_gauges().await;
        }
    }
}
