//! Every Redis name the queue uses, derived from the configured prefix.

/// The group every process joins; one name suffices because the stream is per queue.
const GROUP: &str = "workers";

/// Key and group names for one queue.
#[derive(Debug, Clone)]
pub(crate) struct Keys {
    /// `<prefix>:jobs:<queue>`: chunks waiting for or held by workers.
    pub(crate) stream: String,
    /// `<prefix>:jobs:<queue>:dead`: chunks that ran out of deliveries, with the reason.
    pub(crate) dead: String,
    /// The consumer group on `stream`.
    pub(crate) group: &'static str,
}

impl Keys {
    pub(crate) fn new(prefix: &str, queue: &str) -> Self {
        let stream = format!("{prefix}:jobs:{queue}");
        Self {
            dead: format!("{stream}:dead"),
            stream,
            group: GROUP,
        }
    }
}
