//! The Redis transport against a real server. Each test uses its own key prefix and
//! deletes its keys at the end; none touches keys outside its prefix.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use redis::AsyncCommands;
use tokio_util::sync::CancellationToken;

use super::support::*;
use crate::{ChunkHandler, JobQueue, QueueConfig, RedisQueueOptions};

fn redis_url() -> String {
    std::env::var("BAILIFF_TEST_REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".into())
}

fn fresh_prefix() -> String {
    format!("test-jq-{}", uuid::Uuid::new_v4().simple())
}

fn queue_at(url: &str, prefix: &str, consumer: &str, config: QueueConfig) -> JobQueue {
    let options = RedisQueueOptions {
        url: url.to_owned(),
        prefix: prefix.to_owned(),
        queue: "evacuation".to_owned(),
        consumer: consumer.to_owned(),
    };
    JobQueue::redis(options, config).expect("queue")
}

fn queue(prefix: &str, consumer: &str) -> JobQueue {
    queue_at(&redis_url(), prefix, consumer, fast_config())
}

async fn raw(url: &str) -> redis::aio::MultiplexedConnection {
    redis::Client::open(url)
        .expect("url")
        .get_multiplexed_async_connection()
        .await
        .expect("connect")
}

fn keys(queue: &JobQueue) -> (String, String) {
    let (stream, dead) = queue.redis_keys().expect("a redis queue");
    (stream.to_owned(), dead.to_owned())
}

async fn stream_len(queue: &JobQueue) -> u64 {
    let (stream, _) = keys(queue);
    raw(&redis_url()).await.xlen(stream).await.expect("xlen")
}

async fn delete_keys(queue: &JobQueue) {
    let (stream, dead) = keys(queue);
    let _: () = raw(&redis_url())
        .await
        .del(&[stream, dead])
        .await
        .expect("del");
}

async fn stop(shutdown: CancellationToken, workers: tokio::task::JoinHandle<()>) {
    shutdown.cancel();
    tokio::time::timeout(PATIENCE, workers)
        .await
        .expect("workers stop on shutdown")
        .expect("workers did not panic");
}

#[tokio::test]
async fn every_chunk_is_handled_acknowledged_and_removed() {
    let prefix = fresh_prefix();
    let queue = queue(&prefix, "solo");
    let (handler, mut events) = Recorder::new("solo", Behaviour::Succeed);
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
    assert_eq!(
        stream_len(&queue).await,
        0,
        "acknowledged entries are deleted"
    );
    stop(shutdown, workers).await;
    delete_keys(&queue).await;
}

#[tokio::test]
async fn two_consumers_split_the_work_and_each_chunk_is_acknowledged_once() {
    let prefix = fresh_prefix();
    let (a, b) = (queue(&prefix, "a"), queue(&prefix, "b"));
    let (events_tx, mut events) = tokio::sync::mpsc::unbounded_channel();
    let rendezvous = Rendezvous::new(2);
    let shutdown = CancellationToken::new();
    let handler_a: Arc<dyn ChunkHandler> =
        Recorder::sharing("a", events_tx.clone(), Arc::clone(&rendezvous));
    let handler_b: Arc<dyn ChunkHandler> = Recorder::sharing("b", events_tx, rendezvous);
    let workers_a = a.run_workers(handler_a, 2, shutdown.clone());
    let workers_b = b.run_workers(handler_b, 2, shutdown.clone());
    a.enqueue((0..50).map(|i| chunk("job", i)).collect())
        .await
        .expect("enqueue");
    let seen = collect_until(&mut events, |seen| succeeded(seen).len() == 50).await;
    let handlers: HashSet<_> = seen
        .iter()
        .filter_map(|event| match event {
            Event::Handled { handler, .. } => Some(*handler),
            _ => None,
        })
        .collect();
    assert_eq!(handlers, HashSet::from(["a", "b"]), "both consumers worked");
    eventually("all acknowledged", || async {
        a.pending_count().await.expect("pending") == 0 && stream_len(&a).await == 0
    })
    .await;
    assert_eq!(
        a.stats().acked + b.stats().acked,
        50,
        "each chunk acknowledged exactly once across consumers"
    );
    stop(shutdown.clone(), workers_a).await;
    stop(shutdown, workers_b).await;
    delete_keys(&a).await;
}

#[tokio::test]
async fn chunks_held_by_a_dead_consumer_are_reclaimed_and_finished() {
    let prefix = fresh_prefix();
    let doomed = queue(&prefix, "doomed");
    let (hanging, mut doomed_events) = Recorder::new("doomed", Behaviour::Hang);
    let doomed_workers = doomed.run_workers(hanging, 3, CancellationToken::new());
    doomed
        .enqueue((0..3).map(|i| chunk("job", i)).collect())
        .await
        .expect("enqueue");
    // The doomed consumer has taken all three and will never acknowledge them.
    collect_until(&mut doomed_events, |seen| seen.len() == 3).await;
    assert_eq!(doomed.pending_count().await.expect("pending"), 3);
    doomed_workers.abort();

    let survivor = queue(&prefix, "survivor");
    let (handler, mut events) = Recorder::new("survivor", Behaviour::Succeed);
    let shutdown = CancellationToken::new();
    let workers = survivor.run_workers(handler, 2, shutdown.clone());
    let seen = collect_until(&mut events, |seen| succeeded(seen).len() == 3).await;
    for event in &seen {
        if let Event::Handled { delivery, .. } = event {
            assert_eq!(*delivery, 2, "a reclaimed chunk is on its second delivery");
        }
    }
    eventually("all acknowledged", || async {
        survivor.stats().acked == 3 && survivor.pending_count().await.expect("pending") == 0
    })
    .await;
    assert_eq!(stream_len(&survivor).await, 0);
    stop(shutdown, workers).await;
    delete_keys(&survivor).await;
}

#[tokio::test]
async fn a_chunk_that_keeps_failing_is_dead_lettered_once() {
    let prefix = fresh_prefix();
    let queue = queue(&prefix, "solo");
    let (handler, mut events) = Recorder::new("solo", Behaviour::AlwaysFail);
    let shutdown = CancellationToken::new();
    let workers = queue.run_workers(handler, 2, shutdown.clone());
    queue.enqueue(vec![chunk("job", 4)]).await.expect("enqueue");
    let seen = collect_until(&mut events, |seen| {
        seen.iter()
            .any(|event| matches!(event, Event::DeadLettered { .. }))
    })
    .await;
    let deliveries: Vec<_> = seen
        .iter()
        .filter_map(|event| match event {
            Event::Handled { delivery, .. } => Some(*delivery),
            _ => None,
        })
        .collect();
    assert_eq!(deliveries, [1, 2, 3], "retried until max_deliveries");
    let Some(Event::DeadLettered { message, reason }) = seen.last() else {
        panic!("last event is the dead letter: {seen:?}");
    };
    assert_eq!(message, &chunk("job", 4));
    assert!(reason.contains("membership store unavailable"), "{reason}");
    assert_eq!(queue.dead_letter_count().await.expect("dead"), 1);
    assert_eq!(queue.pending_count().await.expect("pending"), 0);
    assert_eq!(stream_len(&queue).await, 0);
    assert_eq!(queue.stats().dead_lettered, 1);

    let (_, dead) = keys(&queue);
    let entries: redis::streams::StreamRangeReply = raw(&redis_url())
        .await
        .xrange_all(&dead)
        .await
        .expect("xrange");
    let entry = entries.ids.first().expect("one dead letter");
    assert_eq!(entry.get::<String>("job_id").as_deref(), Some("job"));
    assert_eq!(entry.get::<String>("deliveries").as_deref(), Some("3"));
    assert_eq!(
        entry.get::<String>("reason").as_deref(),
        Some(reason.as_str())
    );

    stop(shutdown, workers).await;
    assert!(
        events.try_recv().is_err(),
        "nothing after the dead letter, in particular no second report"
    );
    delete_keys(&queue).await;
}

#[tokio::test]
async fn trace_context_travels_with_the_chunk() {
    let prefix = fresh_prefix();
    let queue = queue(&prefix, "solo");
    let (handler, mut events) = Recorder::new("solo", Behaviour::Succeed);
    let shutdown = CancellationToken::new();
    let workers = queue.run_workers(handler, 1, shutdown.clone());
    let mut sent = chunk("job", 0);
    sent.trace_context = HashMap::from([
        (
            "traceparent".to_owned(),
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01".to_owned(),
        ),
        ("tracestate".to_owned(), "congo=t61rcWkgMzE".to_owned()),
    ]);
    queue.enqueue(vec![sent.clone()]).await.expect("enqueue");
    let seen = collect_until(&mut events, |seen| !seen.is_empty()).await;
    let Some(Event::Handled { message, .. }) = seen.first() else {
        panic!("handled: {seen:?}");
    };
    assert_eq!(message, &sent);
    stop(shutdown, workers).await;
    delete_keys(&queue).await;
}

#[tokio::test]
async fn a_wiped_stream_is_recreated_reported_and_new_chunks_flow() {
    let prefix = fresh_prefix();
    let queue = queue(&prefix, "solo");
    let (handler, mut events) = Recorder::new("solo", Behaviour::Succeed);
    let shutdown = CancellationToken::new();
    let workers = queue.run_workers(handler, 2, shutdown.clone());
    queue
        .enqueue(vec![chunk("before", 0)])
        .await
        .expect("enqueue");
    collect_until(&mut events, |seen| succeeded(seen).len() == 1).await;

    // What a Redis restart without persistence does to our keys (and only ours).
    let (stream, dead) = keys(&queue);
    let _: () = raw(&redis_url())
        .await
        .del(&[stream, dead])
        .await
        .expect("del");
    // Enqueued before or after the worker notices: either way it must arrive.
    queue
        .enqueue(vec![chunk("after", 1)])
        .await
        .expect("enqueue");
    let seen = collect_until(&mut events, |seen| {
        seen.iter().any(|event| matches!(event, Event::Reset))
            && succeeded(seen).contains(&("after".to_owned(), 1))
    })
    .await;
    let resets = seen
        .iter()
        .filter(|event| matches!(event, Event::Reset))
        .count();
    assert_eq!(resets, 1, "one wipe, one reset report");

    queue
        .enqueue(vec![chunk("later", 2)])
        .await
        .expect("enqueue");
    collect_until(&mut events, |seen| {
        succeeded(seen).contains(&("later".to_owned(), 2))
    })
    .await;
    assert_eq!(queue.stats().resets, 1);
    stop(shutdown, workers).await;
    delete_keys(&queue).await;
}

/// A private `redis-server` without persistence, on a port of its own, that the test
/// may stop and start: the shared server must never be restarted.
struct PrivateRedis {
    port: u16,
    child: tokio::process::Child,
}

impl PrivateRedis {
    async fn start(port: u16) -> Option<Self> {
        let child = tokio::process::Command::new("redis-server")
            .args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
            .args(["--save", "", "--appendonly", "no"])
            .stdout(std::process::Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .ok()?;
        let server = Self { port, child };
        eventually("private redis accepts connections", || async {
            let client = redis::Client::open(server.url()).expect("url");
            client.get_multiplexed_async_connection().await.is_ok()
        })
        .await;
        Some(server)
    }

    fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }

    async fn kill(mut self) {
        self.child.kill().await.expect("kill redis-server");
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .expect("a free port")
        .port()
}

#[tokio::test]
async fn workers_ride_out_a_redis_restart_and_report_the_lost_state() {
    let port = free_port();
    let Some(server) = PrivateRedis::start(port).await else {
        eprintln!("SKIPPED: no redis-server binary on PATH to restart");
        return;
    };
    let url = server.url();
    let queue = queue_at(&url, &fresh_prefix(), "solo", fast_config());
    let (handler, mut events) = Recorder::new("solo", Behaviour::Succeed);
    let shutdown = CancellationToken::new();
    let workers = queue.run_workers(handler, 2, shutdown.clone());
    queue
        .enqueue(vec![chunk("before", 0)])
        .await
        .expect("enqueue");
    collect_until(&mut events, |seen| succeeded(seen).len() == 1).await;

    server.kill().await;
    assert!(
        queue.enqueue(vec![chunk("lost", 1)]).await.is_err(),
        "enqueue reports an outage instead of hanging"
    );
    let server = PrivateRedis::start(port).await.expect("restart");

    collect_until(&mut events, |seen| {
        seen.iter().any(|event| matches!(event, Event::Reset))
    })
    .await;
    queue
        .enqueue(vec![chunk("after", 2)])
        .await
        .expect("enqueue");
    collect_until(&mut events, |seen| {
        succeeded(seen).contains(&("after".to_owned(), 2))
    })
    .await;
    stop(shutdown, workers).await;
    server.kill().await;
}
