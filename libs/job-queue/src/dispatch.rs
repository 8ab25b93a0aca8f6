//! The decision both transports share: run the handler once and say what becomes of the
//! chunk. Keeping it here means the retry and dead-letter rules cannot drift apart
//! between Redis and in-process delivery.

use std::panic::AssertUnwindSafe;

use futures::FutureExt;

use crate::{ChunkHandler, ChunkMessage};

/// What to do with a delivered chunk.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Verdict {
    /// The handler succeeded: acknowledge and forget it.
    Ack,
    /// The handler failed with deliveries to spare: deliver it again later.
    Retry(String),
    /// Out of deliveries: move it to the dead letters for this reason.
    DeadLetter(String),
}

/// Runs the handler for one delivery, unless the chunk has already used up its
/// deliveries (a worker kept dying on it). A panicking handler counts as a failure
/// rather than taking the worker down with it.
pub(crate) async fn dispatch(
    handler: &dyn ChunkHandler,
    message: &ChunkMessage,
    delivery: u32,
    max_deliveries: u32,
) -> Verdict {
    if delivery > max_deliveries {
        return Verdict::DeadLetter(format!(
            "delivered {delivery} times without being acknowledged"
        ));
    }
    let outcome = AssertUnwindSafe(handler.handle(message, delivery))
        .catch_unwind()
        .await;
    let error = match outcome {
        Ok(Ok(())) => return Verdict::Ack,
        Ok(Err(error)) => error.to_string(),
        Err(_) => "handler panicked".to_owned(),
    };
    tracing::warn!(
        job_id = %message.job_id,
        chunk = message.chunk,
        delivery,
        %error,
        "chunk handler failed"
    );
    if delivery >= max_deliveries {
        Verdict::DeadLetter(format!("failed on delivery {delivery}: {error}"))
    } else {
        Verdict::Retry(error)
    }
}
