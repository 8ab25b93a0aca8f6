//! The embedded transport keeps the handler contract: ack, retry, dead letter, stop.

use std::collections::HashSet;
use std::time::Duration;

use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use super::support::*;
use crate::JobQueue;

#[tokio::test]
async fn every_chunk_is_handled_and_acknowledged() {
    let queue = JobQueue::in_process(fast_config()).expect("queue");
    let (handler, mut events) = Recorder::new("one", Behaviour::Succeed);
    let shutdown = CancellationToken::new();
    let workers = queue.run_workers(handler, 4, shutdown.clone());
    queue
        .enqueue((0..20).map(|i| chunk("job", i)).collect())
        .await
        .expect("enqueue");
    let seen = collect_until(&mut events, |seen| succeeded(seen).len() == 20).await;
    let expected: HashSet<_> = (0..20).map(|i| ("job".to_owned(), i)).collect();
    assert_eq!(succeeded(&seen), expected);
    eventually("all acknowledged", || async { queue.stats().acked == 20 }).await;
    assert_eq!(queue.pending_count().await.expect("pending"), 0);
    shutdown.cancel();
    tokio::time::timeout(PATIENCE, workers)
        .await
        .expect("workers stop on shutdown")
        .expect("workers did not panic");
}

#[tokio::test]
async fn a_failed_chunk_is_retried_with_a_growing_delivery_count() {
    let queue = JobQueue::in_process(fast_config()).expect("queue");
    let (handler, mut events) = Recorder::new("one", Behaviour::SucceedOnDelivery(3));
    let shutdown = CancellationToken::new();
    let _workers = queue.run_workers(handler, 2, shutdown.clone());
    queue.enqueue(vec![chunk("job", 1)]).await.expect("enqueue");
    let seen = collect_until(&mut events, |seen| succeeded(seen).len() == 1).await;
    let deliveries: Vec<_> = seen
        .iter()
        .filter_map(|event| match event {
            Event::Handled {
                delivery,
                succeeded,
                ..
            } => Some((*delivery, *succeeded)),
            _ => None,
        })
        .collect();
    assert_eq!(deliveries, [(1, false), (2, false), (3, true)]);
    eventually("acknowledged", || async { queue.stats().acked == 1 }).await;
    assert_eq!(queue.pending_count().await.expect("pending"), 0);
    assert_eq!(queue.dead_letter_count().await.expect("dead"), 0);
    shutdown.cancel();
}

#[tokio::test]
async fn a_chunk_that_keeps_failing_is_dead_lettered_once() {
    let queue = JobQueue::in_process(fast_config()).expect("queue");
    let (handler, mut events) = Recorder::new("one", Behaviour::AlwaysFail);
    let shutdown = CancellationToken::new();
    let workers = queue.run_workers(handler, 2, shutdown.clone());
    queue.enqueue(vec![chunk("job", 9)]).await.expect("enqueue");
    let seen = collect_until(&mut events, |seen| {
        seen.iter()
            .any(|event| matches!(event, Event::DeadLettered { .. }))
    })
    .await;
    let attempts = seen
        .iter()
        .filter(|event| matches!(event, Event::Handled { .. }))
        .count();
    assert_eq!(attempts, 3, "max_deliveries attempts before dead-lettering");
    let Some(Event::DeadLettered { message, reason }) = seen.last() else {
        panic!("last event is the dead letter: {seen:?}");
    };
    assert_eq!(message, &chunk("job", 9));
    assert!(reason.contains("membership store unavailable"), "{reason}");
    assert_eq!(queue.dead_letter_count().await.expect("dead"), 1);
    assert_eq!(queue.pending_count().await.expect("pending"), 0);
    assert_eq!(queue.stats().dead_lettered, 1);
    shutdown.cancel();
    tokio::time::timeout(PATIENCE, workers)
        .await
        .expect("workers stop on shutdown")
        .expect("workers did not panic");
    assert!(
        events.try_recv().is_err(),
        "nothing after the dead letter, in particular no second report"
    );
}

#[tokio::test]
async fn the_pool_on_an_owners_tracker_ends_on_shutdown_with_a_retry_waiting() {
    let config = crate::QueueConfig {
        retry_delay: Duration::from_secs(3600),
        ..fast_config()
    };
    let queue = JobQueue::in_process(config).expect("queue");
    let (handler, mut events) = Recorder::new("one", Behaviour::AlwaysFail);
    let shutdown = CancellationToken::new();
    let tasks = TaskTracker::new();
    tasks.spawn(queue.workers(handler, 2, shutdown.clone()));
    queue.enqueue(vec![chunk("job", 1)]).await.expect("enqueue");
    collect_until(&mut events, |seen| !seen.is_empty()).await;
    // The failed chunk now waits an hour for its retry; shutdown must not wait with it.
    shutdown.cancel();
    tasks.close();
    tokio::time::timeout(PATIENCE, tasks.wait())
        .await
        .expect("the pool and its retry timers end on shutdown");
}
