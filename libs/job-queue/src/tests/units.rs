//! The pieces on their own: encoding, naming, validation, backoff.

use std::collections::HashMap;
use std::time::Duration;

use super::support::chunk;
use crate::backoff::Backoff;
use crate::redis_transport::Keys;
use crate::{ChunkMessage, JobQueue, MalformedEntry, QueueConfig, QueueError};

#[test]
fn a_message_survives_encoding_as_stream_fields() {
    let mut message = chunk("job-1", 7);
    message
        .trace_context
        .insert("traceparent".into(), "00-abc-def-01".into());
    message
        .trace_context
        .insert("tracestate".into(), "vendor=1".into());
    let fields: HashMap<String, String> = message.to_fields().into_iter().collect();
    assert_eq!(fields["trace.traceparent"], "00-abc-def-01");
    assert_eq!(ChunkMessage::from_fields(&fields), Ok(message));
}

#[test]
fn an_entry_missing_fields_or_with_a_bad_chunk_is_malformed() {
    let mut fields: HashMap<String, String> = chunk("job", 1).to_fields().into_iter().collect();
    fields.insert("chunk".into(), "minus one".into());
    assert_eq!(
        ChunkMessage::from_fields(&fields),
        Err(MalformedEntry::BadChunk("minus one".into()))
    );
    fields.remove("job_id");
    assert_eq!(
        ChunkMessage::from_fields(&fields),
        Err(MalformedEntry::Missing("job_id"))
    );
}

#[test]
fn keys_derive_from_the_prefix_and_queue() {
    let keys = Keys::new("bailiff", "evacuation");
    assert_eq!(keys.stream, "bailiff:jobs:evacuation");
    assert_eq!(keys.dead, "bailiff:jobs:evacuation:dead");
}

#[test]
fn configurations_that_cannot_work_are_refused() {
    let no_deliveries = QueueConfig {
        max_deliveries: 0,
        ..QueueConfig::default()
    };
    assert!(matches!(
        JobQueue::in_process(no_deliveries),
        Err(QueueError::Config(_))
    ));
    let claim_within_block = QueueConfig {
        claim_idle: Duration::from_millis(100),
        block: Duration::from_millis(500),
        ..QueueConfig::default()
    };
    assert!(matches!(
        JobQueue::in_process(claim_within_block),
        Err(QueueError::Config(_))
    ));
}

#[test]
fn backoff_doubles_up_to_its_cap_and_resets() {
    let mut backoff = Backoff::new(Duration::from_millis(100), Duration::from_millis(350));
    let delays: Vec<_> = (0..4).map(|_| backoff.next_delay()).collect();
    assert_eq!(
        delays,
        [100, 200, 350, 350].map(Duration::from_millis).to_vec()
    );
    backoff.reset();
    assert_eq!(backoff.next_delay(), Duration::from_millis(100));
}

#[test]
fn consumer_names_are_unique_per_call() {
    assert_ne!(crate::unique_consumer_name(), crate::unique_consumer_name());
}
