//! Tuning and addressing for the queue.

use std::time::Duration;

/// Timings and limits shared by both transports. The defaults suit production; tests
/// shorten the timings.
#[derive(Debug, Clone)]
pub struct QueueConfig {
    /// A chunk delivered this many times without success is dead-lettered.
    pub max_deliveries: u32,
    /// Redis: an entry unacknowledged for this long is taken over by another worker.
    /// Must exceed the longest time a handler may run, or slow chunks are duplicated.
    pub claim_idle: Duration,
    /// Redis: how long one `XREADGROUP` waits for new entries. Bounds how quickly a
    /// worker notices shutdown and how often it looks for entries to reclaim.
    pub block: Duration,
    /// In-process: how long a failed chunk waits before it is delivered again.
    pub retry_delay: Duration,
    /// First wait after a Redis error; doubled on each further error.
    pub backoff_min: Duration,
    /// Cap on the wait between retries after Redis errors.
    pub backoff_max: Duration,
    /// Redis: approximate cap on the dead-letter stream's length, so a poison job cannot
    /// grow it without bound.
    pub dead_letter_max_len: usize,
}

impl Default for QueueConfig {
    fn default() -> Self {
        Self {
            max_deliveries: 5,
            claim_idle: Duration::from_secs(5),
            block: Duration::from_millis(500),
            retry_delay: Duration::from_millis(500),
            backoff_min: Duration::from_millis(100),
            backoff_max: Duration::from_secs(5),
            dead_letter_max_len: 10_000,
        }
    }
}

/// Where the Redis transport lives and who this process is.
#[derive(Debug, Clone)]
pub struct RedisQueueOptions {
    /// `redis://…` URL.
    pub url: String,
    /// Key prefix shared by everything this deployment stores in Redis, so several
    /// deployments (or tests) can share one server.
    pub prefix: String,
    /// Queue name, e.g. `evacuation`; the stream is `<prefix>:jobs:<queue>`.
    pub queue: String,
    /// This process's consumer name in the group; must be unique per process start
    /// (see [`unique_consumer_name`]) or two processes would share pending entries.
    pub consumer: String,
}

/// A consumer name unique to this process start: `<hostname>-<pid>-<uuid>`. The
/// hostname and pid make `XINFO CONSUMERS` readable; the uuid keeps a restarted process
/// (same pid in a fresh container) from inheriting its predecessor's pending entries
/// without the idle timeout.
pub fn unique_consumer_name() -> String {
    let host = std::env::var("HOSTNAME")
        .ok()
        .or_else(|| std::fs::read_to_string("/etc/hostname").ok())
        .map(|name| name.trim().to_owned())
        .filter(|name| !name.is_empty())
        .unwrap_or_else(|| "host".to_owned());
    format!(
        "{host}-{}-{}",
        std::process::id(),
        uuid::Uuid::new_v4().simple()
    )
}
