//! Reading a job, and waiting for it to finish.

use std::time::Duration;

use replica_bus::BusMessage;
use tokio::sync::broadcast;

use super::job::{Job, job_not_found};
use super::{Evacuator, JOBS_TOPIC, jobs};
use crate::error::Error;

impl Evacuator {
    /// A job and its affected set; `None` when unknown.
    pub async fn job(&self, job_id: &str) -> Result<Option<(Job, Vec<String>)>, Error> {
        let mut conn = self.inner.store.conn().await?;
        let Some(job) = jobs::get_job(&mut conn, job_id).await? else {
            return Ok(None);
        };
        let affected = jobs::affected(&mut conn, job_id).await?;
        Ok(Some((job, affected)))
    }

    /// Waits until the job is complete or failed and returns it. Woken by the replica
    /// bus; re-reads the job every `poll_every` anyway, so a lost message (or a database
    /// outage, during which it keeps waiting) cannot hang it.
    pub async fn wait(&self, job_id: &str) -> Result<Job, Error> {
        // Subscribe before the first read, so a completion in between is not missed.
        let mut completions = self.inner.bus.subscribe(JOBS_TOPIC);
        loop {
            let read = async {
                let mut conn = self.inner.store.conn().await?;
                jobs::get_job(&mut conn, job_id).await
            };
            match read.await {
                Ok(Some(job)) if job.is_finished() => return Ok(job),
                Ok(Some(_)) => {}
                Ok(None) => return Err(job_not_found()),
                Err(error) if error.is_unavailable() => {
                    tracing::debug!(%error, job_id, "database unreachable while waiting for a job");
                }
                Err(error) => return Err(error),
            }
            tokio::select! {
                () = self.inner.shutdown.cancelled() => return Err(Error::Unavailable("shutting down")),
                () = next_completion(&mut completions, job_id, self.inner.settings.poll_every) => {}
            }
        }
    }
}

/// Waits for a completion of `job_id` on the bus, a possible gap, or `poll_every`.
async fn next_completion(
    completions: &mut broadcast::Receiver<BusMessage>,
    job_id: &str,
    poll_every: Duration,
) {
    let deadline = tokio::time::Instant::now() + poll_every;
    loop {
        tokio::select! {
            () = tokio::time::sleep_until(deadline) => return,
            received = completions.recv() => match received {
                Ok(BusMessage::Published(payload)) if &*payload == job_id => return,
                Ok(BusMessage::Published(_)) => {}
                Ok(BusMessage::Gap) | Err(broadcast::error::RecvError::Lagged(_)) => return,
                Err(broadcast::error::RecvError::Closed) => {
                    tokio::time::sleep_until(deadline).await;
                    return;
                }
            },
        }
    }
}
