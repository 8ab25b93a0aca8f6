//! Messages every replica must see at once: token revocations, admin changes, "new
//! event" wake-ups for `/sync`, job completions.
//!
//! In the distributed mode they travel over Redis pub/sub; in the embedded default they
//! stay in the process. Either way a subscriber gets a `tokio::sync::broadcast` receiver
//! per topic. Pub/sub is fire-and-forget, so when the Redis subscription drops every
//! subscriber is sent [`BusMessage::Gap`]: whatever it caches may be stale and should be
//! dropped or re-read.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures::StreamExt;
use redis::AsyncCommands;
use tokio::sync::broadcast;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

#[cfg(test)]
mod tests;

/// Capacity of each topic's local channel; a slow subscriber sees `Lagged` and should
/// treat it like a gap.
const TOPIC_CAPACITY: usize = 4096;

/// What a subscriber receives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BusMessage {
    /// A payload published on the topic, by any replica (this one included).
    Published(Arc<str>),
    /// Messages may have been lost (the Redis subscription was re-established).
    Gap,
}

/// Why a publish failed.
#[derive(Debug, thiserror::Error)]
pub enum BusError {
    #[error("redis: {0}")]
    Redis(#[from] redis::RedisError),
}

/// A handle to the bus; cheap to clone.
#[derive(Clone)]
pub struct ReplicaBus {
    topics: Arc<Mutex<HashMap<String, broadcast::Sender<BusMessage>>>>,
    transport: Transport,
}

#[derive(Clone)]
enum Transport {
    InProcess,
    Redis {
        publisher: redis::aio::ConnectionManager,
        prefix: String,
    },
}

impl ReplicaBus {
    /// A bus for one process.
    pub fn in_process() -> Self {
        Self {
            topics: Arc::default(),
            transport: Transport::InProcess,
        }
    }

    /// A bus over Redis pub/sub. Channels are named `<prefix>:bus:<topic>`. A task on
    /// `tasks` keeps the subscription alive, reconnecting with backoff, until `stop` is
    /// cancelled.
    ///
    /// The caller owns the subscription task (rather than the bus owning it, or the bus
    /// returning a handle) because the bus is process plumbing: whoever composes the
    /// process decides how long it must outlive the roles that publish and subscribe,
    /// and waits for it with everything else it started.
    pub async fn redis(
        url: &str,
        prefix: &str,
        tasks: &TaskTracker,
        stop: CancellationToken,
    ) -> Result<Self, BusError> {
        let client = redis::Client::open(url)?;
        let publisher = redis::aio::ConnectionManager::new(client.clone()).await?;
        let topics: Arc<Mutex<HashMap<String, broadcast::Sender<BusMessage>>>> = Arc::default();
        let channel_prefix = format!("{prefix}:bus:");
        let subscription = subscribe_forever(client, channel_prefix.clone(), Arc::clone(&topics));
        tasks.spawn(async move {
            tokio::select! {
                () = stop.cancelled() => {}
                () = subscription => {}
            }
        });
        Ok(Self {
            topics,
            transport: Transport::Redis {
                publisher,
                prefix: channel_prefix,
            },
        })
    }

    /// Sends `payload` to every subscriber of `topic` on every replica.
    pub async fn publish(&self, topic: &str, payload: &str) -> Result<(), BusError> {
        match &self.transport {
            Transport::InProcess => {
                deliver(&self.topics, topic, BusMessage::Published(payload.into()));
                Ok(())
            }
            Transport::Redis { publisher, prefix } => {
                let mut conn = publisher.clone();
                let _: i64 = conn.publish(format!("{prefix}{topic}"), payload).await?;
                Ok(())
            }
        }
    }

    /// Receives everything published on `topic` from now on.
    pub fn subscribe(&self, topic: &str) -> broadcast::Receiver<BusMessage> {
        sender_for(&self.topics, topic).subscribe()
    }
}

fn sender_for(
    topics: &Mutex<HashMap<String, broadcast::Sender<BusMessage>>>,
    topic: &str,
) -> broadcast::Sender<BusMessage> {
    let mut topics = topics
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    topics
        .entry(topic.to_owned())
        .or_insert_with(|| broadcast::channel(TOPIC_CAPACITY).0)
        .clone()
}

fn deliver(
    topics: &Mutex<HashMap<String, broadcast::Sender<BusMessage>>>,
    topic: &str,
    message: BusMessage,
) {
    let sender = {
        let topics = topics
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        topics.get(topic).cloned()
    };
    if let Some(sender) = sender {
        // No receivers is fine: nobody on this replica cares about the topic.
        let _ = sender.send(message);
    }
}

fn deliver_gap_to_all(topics: &Mutex<HashMap<String, broadcast::Sender<BusMessage>>>) {
    let senders: Vec<_> = {
        let topics = topics
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        topics.values().cloned().collect()
    };
    for sender in senders {
        let _ = sender.send(BusMessage::Gap);
    }
}

async fn subscribe_forever(
    client: redis::Client,
    channel_prefix: String,
    topics: Arc<Mutex<HashMap<String, broadcast::Sender<BusMessage>>>>,
) {
    let mut backoff = Duration::from_millis(50);
    let mut first = true;
    loop {
        match client.get_async_pubsub().await {
            Ok(mut pubsub) => {
                if let Err(error) = pubsub.psubscribe(format!("{channel_prefix}*")).await {
                    tracing::warn!(%error, "replica bus: psubscribe failed");
                } else {
                    if !first {
                        deliver_gap_to_all(&topics);
                    }
                    first = false;
                    backoff = Duration::from_millis(50);
                    let mut messages = pubsub.on_message();
                    while let Some(message) = messages.next().await {
                        let Some(topic) = message.get_channel_name().strip_prefix(&channel_prefix)
                        else {
                            continue;
                        };
                        let Ok(payload) = message.get_payload::<String>() else {
                            continue;
                        };
                        deliver(&topics, topic, BusMessage::Published(payload.into()));
                    }
                    tracing::warn!("replica bus: subscription lost, reconnecting");
                }
            }
            Err(error) => tracing::warn!(%error, "replica bus: cannot connect to Redis"),
        }
        // Anything published while we were away is lost: tell subscribers now too.
        deliver_gap_to_all(&topics);
        tokio::time::sleep(backoff).await;
        backoff = (backoff * 2).min(Duration::from_secs(2));
    }
}
