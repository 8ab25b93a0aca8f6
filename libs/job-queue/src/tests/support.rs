//! A recording handler and helpers shared by the transport tests.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use tokio::sync::{Notify, mpsc};

use crate::{ChunkHandler, ChunkMessage, HandlerError, QueueConfig};

/// Upper bound for anything a test waits for; generous, never asserted as a timing.
pub(super) const PATIENCE: Duration = Duration::from_secs(20);

/// Timings short enough for tests to reclaim and retry quickly.
pub(super) fn fast_config() -> QueueConfig {
    QueueConfig {
        max_deliveries: 3,
        claim_idle: Duration::from_millis(300),
        block: Duration::from_millis(100),
        retry_delay: Duration::from_millis(20),
        backoff_min: Duration::from_millis(20),
        backoff_max: Duration::from_millis(300),
        dead_letter_max_len: 1000,
    }
}

pub(super) fn chunk(job: &str, chunk: u32) -> ChunkMessage {
    ChunkMessage {
        job_id: job.to_owned(),
        chunk,
        payload: format!(r#"{{"users":["@u{chunk}:hs"]}}"#),
        trace_context: HashMap::new(),
    }
}

/// How the recording handler answers.
#[derive(Clone, Copy)]
pub(super) enum Behaviour {
    Succeed,
    AlwaysFail,
    /// Fails until the given delivery, then succeeds.
    SucceedOnDelivery(u32),
    /// Never returns, like a worker frozen or killed mid-chunk.
    Hang,
}

/// What the handler saw, in order.
#[derive(Debug, Clone)]
pub(super) enum Event {
    Handled {
        handler: &'static str,
        message: ChunkMessage,
        delivery: u32,
        succeeded: bool,
    },
    DeadLettered {
        message: ChunkMessage,
        reason: String,
    },
    Reset,
}

/// Makes the first chunk of each of `parties` handlers wait until all of them have
/// started one, so work is provably split without relying on timing.
pub(super) struct Rendezvous {
    parties: usize,
    arrived: Mutex<HashSet<&'static str>>,
    notify: Notify,
}

impl Rendezvous {
    pub(super) fn new(parties: usize) -> Arc<Self> {
        Arc::new(Self {
            parties,
            arrived: Mutex::new(HashSet::new()),
            notify: Notify::new(),
        })
    }

    async fn arrive(&self, name: &'static str) {
        loop {
            let notified = self.notify.notified();
            {
                let mut arrived = self.arrived.lock().expect("lock");
                arrived.insert(name);
                if arrived.len() >= self.parties {
                    self.notify.notify_waiters();
                    return;
                }
            }
            notified.await;
        }
    }
}

pub(super) struct Recorder {
    name: &'static str,
    behaviour: Behaviour,
    events: mpsc::UnboundedSender<Event>,
    rendezvous: Option<Arc<Rendezvous>>,
}

impl Recorder {
    pub(super) fn new(
        name: &'static str,
        behaviour: Behaviour,
    ) -> (Arc<Self>, mpsc::UnboundedReceiver<Event>) {
        let (events, receiver) = mpsc::unbounded_channel();
        let recorder = Self {
            name,
            behaviour,
            events,
            rendezvous: None,
        };
        (Arc::new(recorder), receiver)
    }

    /// A handler reporting into an existing event channel, meeting others first.
    pub(super) fn sharing(
        name: &'static str,
        events: mpsc::UnboundedSender<Event>,
        rendezvous: Arc<Rendezvous>,
    ) -> Arc<Self> {
        Arc::new(Self {
            name,
            behaviour: Behaviour::Succeed,
            events,
            rendezvous: Some(rendezvous),
        })
    }
}

#[async_trait]
impl ChunkHandler for Recorder {
    async fn handle(&self, message: &ChunkMessage, delivery: u32) -> Result<(), HandlerError> {
        if let Some(rendezvous) = &self.rendezvous {
            rendezvous.arrive(self.name).await;
        }
        let succeeded = match self.behaviour {
            Behaviour::Succeed => true,
            Behaviour::AlwaysFail => false,
            Behaviour::SucceedOnDelivery(n) => delivery >= n,
            Behaviour::Hang => {
                let _ = self.events.send(Event::Handled {
                    handler: self.name,
                    message: message.clone(),
                    delivery,
                    succeeded: false,
                });
                std::future::pending::<()>().await;
                false
            }
        };
        let _ = self.events.send(Event::Handled {
            handler: self.name,
            message: message.clone(),
            delivery,
            succeeded,
        });
        if succeeded {
            Ok(())
        } else {
            Err("membership store unavailable".into())
        }
    }

    async fn dead_lettered(&self, message: &ChunkMessage, reason: &str) {
        let _ = self.events.send(Event::DeadLettered {
            message: message.clone(),
            reason: reason.to_owned(),
        });
    }

    async fn queue_reset(&self) {
        let _ = self.events.send(Event::Reset);
    }
}

/// Collects events until `done` says the collection is complete.
pub(super) async fn collect_until(
    events: &mut mpsc::UnboundedReceiver<Event>,
    mut done: impl FnMut(&[Event]) -> bool,
) -> Vec<Event> {
    let mut seen = Vec::new();
    tokio::time::timeout(PATIENCE, async {
        while !done(&seen) {
            seen.push(events.recv().await.expect("handler alive"));
        }
    })
    .await
    .unwrap_or_else(|_| panic!("gave up waiting; events so far: {seen:#?}"));
    seen
}

/// Chunks (job, index) whose handling succeeded.
pub(super) fn succeeded(events: &[Event]) -> HashSet<(String, u32)> {
    events
        .iter()
        .filter_map(|event| match event {
            Event::Handled {
                message,
                succeeded: true,
                ..
            } => Some((message.job_id.clone(), message.chunk)),
            _ => None,
        })
        .collect()
}

/// Polls `check` until it holds; for state that settles just after a handler returns
/// (acknowledgements), so the wait is bounded rather than a fixed sleep.
pub(super) async fn eventually<F, Fut>(what: &str, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    tokio::time::timeout(PATIENCE, async {
        while !check().await {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await
    .unwrap_or_else(|_| panic!("never happened: {what}"));
}
