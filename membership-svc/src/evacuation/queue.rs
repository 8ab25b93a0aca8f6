//! The queue chunks travel through: Redis Streams or in process, by configuration.

use bailiff_config::Config;
use job_queue::{JobQueue, RedisQueueOptions};

use super::{QUEUE_NAME, Settings};

/// Builds the queue the configuration asks for: Redis Streams when `redis.url` is set
/// (one consumer per process start), in process otherwise.
pub fn queue_for(config: &Config, settings: &Settings) -> Result<JobQueue, job_queue::QueueError> {
    match &config.redis.url {
        Some(url) => JobQueue::redis(
            RedisQueueOptions {
                url: url.clone(),
                prefix: config.redis.key_prefix.clone(),
                queue: QUEUE_NAME.to_owned(),
                consumer: job_queue::unique_consumer_name(),
            },
            settings.queue.clone(),
        ),
        None => JobQueue::in_process(settings.queue.clone()),
    }
}
