//! The queue's view of the evacuator: one delivery of a chunk at a time.

use bailiff_domain::ChunkState;
use bailiff_telemetry::propagation;
use job_queue::{ChunkHandler, ChunkMessage, HandlerError};
use tracing::Instrument;

use super::Evacuator;
use super::gauges::chunk_metric;
use super::job::Applied;

#[tonic::async_trait]
impl ChunkHandler for Evacuator {
    async fn handle(&self, message: &ChunkMessage, delivery: u32) -> Result<(), HandlerError> {
        let span = tracing::info_span!(
            "evacuation.chunk",
            otel.kind = "consumer",
            job_id = %message.job_id,
            chunk = message.chunk,
            delivery,
        );
        propagation::set_parent_from_map(&span, &message.trace_context);
        if delivery > 1 {
            chunk_metric("retried");
        }
        let applied = self
            .apply_patiently(&message.job_id, i64::from(message.chunk))
            .instrument(span)
            .await?;
        match applied {
            Applied::Done { .. } => chunk_metric(ChunkState::Done.as_str()),
            Applied::Undecodable { .. } => chunk_metric(ChunkState::Failed.as_str()),
            Applied::AlreadySettled | Applied::Deferred => {}
        }
        Ok(())
    }

    async fn dead_lettered(&self, message: &ChunkMessage, reason: &str) {
        tracing::error!(job_id = %message.job_id, chunk = message.chunk, reason, "evacuation chunk dead-lettered");
        match self
            .fail_chunk(&message.job_id, i64::from(message.chunk))
            .await
        {
            Ok(true) => chunk_metric(ChunkState::Failed.as_str()),
            Ok(false) => {}
            // The chunk stays pending; the sweeper queues it again later.
            Err(error) => tracing::warn!(%error, "cannot record a dead-lettered chunk"),
        }
    }

    async fn queue_reset(&self) {
        tracing::warn!("the job queue lost its state; re-queueing unfinished jobs");
        if let Err(error) = self.replan().await {
            tracing::warn!(%error, "re-queueing after a queue reset failed; the sweeper will retry");
        }
    }
}
