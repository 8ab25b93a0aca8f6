//! The distributed transport: a Redis stream read by one consumer group, every process
//! one consumer. See the crate README for the full semantics.

mod commands;
mod keys;
mod worker;

use std::sync::Arc;
use std::sync::atomic::AtomicBool;

use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

use crate::backoff::Backoff;
use crate::stats::Counters;
use crate::{ChunkHandler, ChunkMessage, QueueConfig, QueueError, RedisQueueOptions};

pub(crate) use keys::Keys;

/// Attempts `enqueue` makes before reporting the error: enough to ride over a dropped
/// connection being re-established, short enough not to stall the caller in an outage.
const ENQUEUE_ATTEMPTS: u32 = 3;

/// State shared by clones of the queue and its workers.
pub(crate) struct Shared {
    client: redis::Client,
    /// For enqueue and introspection; workers have their own (they block on reads).
    conn: ConnectionManager,
    keys: Keys,
    consumer: String,
    config: QueueConfig,
    /// Set once this process has seen the consumer group exist. Creating the group
    /// after that means Redis lost it: a reset. Creating it before that is just the
    /// first start of a deployment.
    group_seen: AtomicBool,
    counters: Counters,
}

/// The Redis queue; cheap to clone.
#[derive(Clone)]
pub(crate) struct RedisQueue {
    shared: Arc<Shared>,
}

impl RedisQueue {
    /// Connects lazily: a process can start while Redis is down, and workers keep
    /// retrying until it is up.
    pub(crate) fn new(options: RedisQueueOptions, config: QueueConfig) -> Result<Self, QueueError> {
        let client = redis::Client::open(options.url.as_str())?;
        let conn =
            ConnectionManager::new_lazy_with_config(client.clone(), manager_config(&config))?;
        Ok(Self {
            shared: Arc::new(Shared {
                client,
                conn,
                keys: Keys::new(&options.prefix, &options.queue),
                consumer: options.consumer,
                config,
                group_seen: AtomicBool::new(false),
                counters: Counters::default(),
            }),
        })
    }

    /// Appends the messages with one pipelined round trip, retrying a couple of times.
    /// The group is not needed here: `XADD` recreates a lost stream, and the first
    /// worker read after a reset recreates the group from the stream's start.
    pub(crate) async fn enqueue(&self, messages: &[ChunkMessage]) -> Result<(), QueueError> {
        if messages.is_empty() {
            return Ok(());
        }
        let shared = &self.shared;
        let mut conn = shared.conn.clone();
        let mut backoff = Backoff::new(shared.config.backoff_min, shared.config.backoff_max);
        let mut attempt = 1;
        loop {
            match commands::add(&mut conn, &shared.keys, messages).await {
                Ok(()) => return Ok(()),
                Err(error) if attempt < ENQUEUE_ATTEMPTS => {
                    tracing::warn!(%error, attempt, "enqueueing chunks failed; retrying");
                    tokio::time::sleep(backoff.next_delay()).await;
                    attempt += 1;
                }
                Err(error) => return Err(error.into()),
            }
        }
    }

    pub(crate) fn spawn_workers(
        &self,
        workers: &mut JoinSet<()>,
        handler: &Arc<dyn ChunkHandler>,
        concurrency: usize,
        shutdown: &CancellationToken,
    ) {
        for _ in 0..concurrency {
            workers.spawn(worker::run(
                Arc::clone(&self.shared),
                Arc::clone(handler),
                shutdown.clone(),
            ));
        }
    }

    pub(crate) async fn pending_count(&self) -> Result<u64, QueueError> {
        let mut conn = self.shared.conn.clone();
        Ok(commands::pending(&mut conn, &self.shared.keys).await?)
    }

    pub(crate) async fn dead_letter_count(&self) -> Result<u64, QueueError> {
        let mut conn = self.shared.conn.clone();
        Ok(commands::dead_letters(&mut conn, &self.shared.keys).await?)
    }

    pub(crate) fn counters(&self) -> &Counters {
        &self.shared.counters
    }

    pub(crate) fn keys(&self) -> &Keys {
        &self.shared.keys
    }
}

impl Shared {
    /// A connection of a worker's own: `XREADGROUP BLOCK` holds a connection for the
    /// whole block, which would stall every other command multiplexed on it.
    fn worker_connection(&self) -> redis::RedisResult<ConnectionManager> {
        ConnectionManager::new_lazy_with_config(self.client.clone(), manager_config(&self.config))
    }
}

/// Reconnection paced like our own backoff, and a response timeout longer than a
/// blocking read (the redis crate's 500 ms default would cut every block short).
fn manager_config(config: &QueueConfig) -> ConnectionManagerConfig {
    ConnectionManagerConfig::new()
        .set_min_delay(config.backoff_min)
        .set_max_delay(config.backoff_max)
        .set_response_timeout(Some(config.block + std::time::Duration::from_secs(5)))
}
