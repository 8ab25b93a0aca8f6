//! Job and queue metrics.

use bailiff_domain::JobStatus;
use bailiff_telemetry::metrics::{KindLabel, METRICS};

use super::{Evacuator, jobs};

impl Evacuator {
    /// Sets the job and queue gauges from the database and the queue.
    pub async fn refresh_gauges(&self) {
        let counts = async {
            let mut conn = self.inner.store.conn().await?;
            jobs::count_by_status(&mut conn).await
        };
        match counts.await {
            Ok(counts) => {
                for status in JobStatus::ALL {
                    let count = counts
                        .iter()
                        .find(|(s, _)| s == status)
                        .map_or(0, |(_, n)| *n);
                    METRICS
                        .jobs
                        .get_or_create(&KindLabel {
                            kind: status.as_str().to_owned(),
                        })
                        .set(count);
                }
            }
            Err(error) => tracing::debug!(%error, "cannot count jobs for the gauges"),
        }
        if let Ok(pending) = self.inner.queue.pending_count().await {
            METRICS
                .queue_pending
                .set(i64::try_from(pending).unwrap_or(i64::MAX));
        }
        if let Ok(dead) = self.inner.queue.dead_letter_count().await {
            METRICS
                .queue_dead_letters
                .set(i64::try_from(dead).unwrap_or(i64::MAX));
        }
    }
}

/// Counts one chunk outcome: `done` and `failed` are [`bailiff_domain::ChunkState`]
/// spellings, `retried` a redelivery.
pub(super) fn chunk_metric(outcome: &str) {
    METRICS
        .chunks
        .get_or_create(&KindLabel {
            kind: outcome.to_owned(),
        })
        .inc();
}
