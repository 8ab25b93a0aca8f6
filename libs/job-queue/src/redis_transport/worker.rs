//! One worker loop: reclaim or read an entry, handle it, settle it; survive outages.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use redis::RedisResult;
use redis::aio::ConnectionManager;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use super::Shared;
use super::commands::{self, Entry, Settled};
use crate::backoff::Backoff;
use crate::dispatch::{Verdict, dispatch};
use crate::{ChunkHandler, ChunkMessage};

/// After shutdown, how many times settling an entry is tried before giving up on it
/// (it stays pending and is reclaimed elsewhere).
const SETTLE_ATTEMPTS_AFTER_SHUTDOWN: u32 = 3;

/// How an entry in hand is settled.
#[derive(Clone, Copy)]
enum Settle<'a> {
    Ack,
    DeadLetter { reason: &'a str, count: u32 },
}

/// An entry in hand and how many times it has been delivered, this time included.
struct Delivery {
    entry: Entry,
    count: u32,
}

/// Where this worker is in its scan of the pending list for idle entries.
struct ReclaimScan {
    cursor: String,
    due: Instant,
    interval: Duration,
}

impl ReclaimScan {
    /// Scans at half the idle timeout, so an abandoned entry waits at most about 1.5×
    /// `claim_idle` before someone takes it.
    fn new(claim_idle: Duration) -> Self {
        Self {
            cursor: "0-0".to_owned(),
            due: Instant::now(),
            interval: (claim_idle / 2).max(Duration::from_millis(10)),
        }
    }

    fn is_due(&self) -> bool {
        Instant::now() >= self.due
    }

    /// Continues from `next`; a complete scan that found nothing rests until the next
    /// interval.
    fn advance(&mut self, next: String, claimed: bool) {
        if next == "0-0" && !claimed {
            self.due = Instant::now() + self.interval;
        }
        self.cursor = next;
    }
}

/// Runs until shutdown. Never returns early on Redis errors: it backs off and retries.
pub(super) async fn run(
    shared: Arc<Shared>,
    handler: Arc<dyn ChunkHandler>,
    shutdown: CancellationToken,
) {
    let mut conn = match shared.worker_connection() {
        Ok(conn) => conn,
        Err(error) => {
            tracing::error!(%error, "cannot set up a job queue worker connection");
            return;
        }
    };
    let config = &shared.config;
    let mut backoff = Backoff::new(config.backoff_min, config.backoff_max);
    let mut scan = ReclaimScan::new(config.claim_idle);
    while !shutdown.is_cancelled() {
        let failure = match next_delivery(&shared, &mut conn, &mut scan).await {
            Ok(Some(delivery)) => {
                settle(&shared, &mut conn, handler.as_ref(), delivery, &shutdown).await;
                None
            }
            Ok(None) => None,
            Err(error) if commands::is_no_group(&error) => {
                recover_group(&shared, &mut conn, handler.as_ref())
                    .await
                    .err()
            }
            Err(error) => Some(error),
        };
        match failure {
            None => backoff.reset(),
            Some(error) => {
                tracing::warn!(%error, "job queue worker cannot reach Redis; retrying");
                backoff.wait(&shutdown).await;
            }
        }
    }
}

/// An idle entry to take over if a scan is due and finds one, else a new entry if one
/// arrives within the block time.
async fn next_delivery(
    shared: &Shared,
    conn: &mut ConnectionManager,
    scan: &mut ReclaimScan,
) -> RedisResult<Option<Delivery>> {
    let keys = &shared.keys;
    if scan.is_due() {
        let (next, claimed) = commands::autoclaim(
            conn,
            keys,
            &shared.consumer,
            shared.config.claim_idle,
            &scan.cursor,
        )
        .await?;
        shared.group_seen.store(true, Ordering::SeqCst);
        scan.advance(next, claimed.is_some());
        if let Some(entry) = claimed {
            let Some(count) = commands::times_delivered(conn, keys, &entry.id).await? else {
                return Ok(None); // acknowledged by its previous holder meanwhile
            };
            tracing::info!(id = %entry.id, count, "reclaimed an idle job chunk");
            return Ok(Some(Delivery { entry, count }));
        }
        if scan.is_due() {
            return Ok(None); // the scan has more of the pending list to look at
        }
    }
    let entry = commands::read_new(conn, keys, &shared.consumer, shared.config.block).await?;
    shared.group_seen.store(true, Ordering::SeqCst);
    Ok(entry.map(|entry| Delivery { entry, count: 1 }))
}

/// Handles the entry and acknowledges it, leaves it pending, or dead-letters it.
async fn settle(
    shared: &Shared,
    conn: &mut ConnectionManager,
    handler: &dyn ChunkHandler,
    delivery: Delivery,
    shutdown: &CancellationToken,
) {
    let Delivery { entry, count } = delivery;
    let message = match ChunkMessage::from_fields(&entry.fields) {
        Ok(message) => message,
        Err(error) => {
            // Not ours to report to the handler: there is no chunk to name.
            tracing::error!(id = %entry.id, %error, "malformed job queue entry");
            let reason = format!("malformed entry: {error}");
            move_to_dead_letters(shared, conn, &entry, &reason, count, shutdown).await;
            return;
        }
    };
    match dispatch(handler, &message, count, shared.config.max_deliveries).await {
        Verdict::Ack => {
            let settled = retry_settle(shared, conn, &entry, Settle::Ack, shutdown).await;
            if settled == Some(Settled::Done) {
                shared.counters.acked();
            }
        }
        // Left pending: reclaimed (by any worker) once idle for `claim_idle`.
        Verdict::Retry(_) => {}
        Verdict::DeadLetter(reason) => {
            if move_to_dead_letters(shared, conn, &entry, &reason, count, shutdown).await {
                handler.dead_lettered(&message, &reason).await;
            }
        }
    }
}

/// Moves the entry to the dead letters; `true` if this call did (and so must report it).
async fn move_to_dead_letters(
    shared: &Shared,
    conn: &mut ConnectionManager,
    entry: &Entry,
    reason: &str,
    count: u32,
    shutdown: &CancellationToken,
) -> bool {
    let settled = retry_settle(
        shared,
        conn,
        entry,
        Settle::DeadLetter { reason, count },
        shutdown,
    )
    .await;
    tracing::warn!(id = %entry.id, reason, ?settled, "job chunk dead-lettered");
    let moved = settled == Some(Settled::Done);
    if moved {
        shared.counters.dead_lettered();
    }
    moved
}

/// Retries a settling command through Redis errors until it answers, or, once shutdown
/// has begun, gives up after a few attempts (the entry then stays pending and is
/// reclaimed by a live worker; handlers are idempotent).
async fn retry_settle(
    shared: &Shared,
    conn: &mut ConnectionManager,
    entry: &Entry,
    settle: Settle<'_>,
    shutdown: &CancellationToken,
) -> Option<Settled> {
    let keys = &shared.keys;
    let mut backoff = Backoff::new(shared.config.backoff_min, shared.config.backoff_max);
    let mut attempts_after_shutdown = 0;
    loop {
        let result = match settle {
            Settle::Ack => commands::ack(conn, keys, &entry.id).await,
            Settle::DeadLetter { reason, count } => {
                let max_len = shared.config.dead_letter_max_len;
                commands::dead_letter(conn, keys, entry, reason, count, max_len).await
            }
        };
        match result {
            Ok(settled) => return Some(settled),
            Err(error) => {
                tracing::warn!(%error, "settling a job chunk failed; retrying");
                if shutdown.is_cancelled() {
                    attempts_after_shutdown += 1;
                    if attempts_after_shutdown >= SETTLE_ATTEMPTS_AFTER_SHUTDOWN {
                        return None;
                    }
                }
                tokio::time::sleep(backoff.next_delay()).await;
            }
        }
    }
}

/// The group is missing: recreate it, and if this process had seen it before, Redis
/// lost its state, so tell the owner to re-enqueue. Only the process whose create
/// succeeds reports, so one wipe causes one re-enqueue, not one per replica.
async fn recover_group(
    shared: &Shared,
    conn: &mut ConnectionManager,
    handler: &dyn ChunkHandler,
) -> RedisResult<()> {
    // Read before creating: a sibling worker may see the new group (and set the flag)
    // between our create and any later check, which would look like a reset.
    let seen_before = shared.group_seen.load(Ordering::SeqCst);
    let created = commands::create_group(conn, &shared.keys).await?;
    shared.group_seen.store(true, Ordering::SeqCst);
    if created && seen_before {
        tracing::warn!(
            stream = %shared.keys.stream,
            "job queue consumer group was lost and recreated; owner must re-enqueue"
        );
        shared.counters.reset();
        handler.queue_reset().await;
    } else if created {
        tracing::info!(stream = %shared.keys.stream, "created job queue consumer group");
    }
    Ok(())
}
