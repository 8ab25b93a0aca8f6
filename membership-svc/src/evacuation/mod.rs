//! Evacuation jobs (DESIGN.md "Evacuation jobs").
//!
//! 1. [`Evacuator::plan`] records a job and its affected set, computed once and split in
//!    chunks of [`Settings::chunk_size`] stored beside it (the database is the source of
//!    truth), then queues one [`ChunkMessage`] per chunk carrying the planning request's
//!    trace context. A queued or running job for the same target is returned instead.
//! 2. Workers ([`job_queue::JobQueue::run_workers`], Redis Streams or in process, the
//!    same code) hand each chunk to [`Evacuator::apply_chunk`], which in ONE transaction
//!    flips the chunk `pending` → `done`, appends a self-leave for every entry still
//!    joined/invited, and advances the job's `done` counter. Only the transaction whose
//!    flip commits counts the chunk, so progress is exact under redelivery.
//! 3. A dead-lettered chunk flips `pending` → `failed` and adds its size to `failed`. A
//!    job whose chunks are all settled is `complete`, or `failed` when any chunk failed.
//!    Completion is published on the replica bus ([`JOBS_TOPIC`]) so a caller waiting
//!    on any replica wakes; waiters also re-read the job every [`Settings::poll_every`].
//! 4. Unfinished jobs are re-queued at start-up, after a queue reset (Redis came back
//!    empty), and chunk by chunk by a sweeper when pending longer than
//!    [`Settings::stale_after`].

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use bailiff_config::Config;
use bailiff_database::{Backend, fault, is_unavailable};
use bailiff_domain::now_ms;

/// Jobs at least this large refresh the planner's statistics first.
const REFRESH_STATISTICS_FROM: usize = 2_000;
use bailiff_telemetry::metrics::{KindLabel, METRICS};
use bailiff_telemetry::propagation;
use job_queue::{
    ChunkHandler, ChunkMessage, HandlerError, JobQueue, QueueConfig, RedisQueueOptions,
};
use matrix_status::MatrixError;
use rand::RngExt;
use replica_bus::{BusMessage, ReplicaBus};
use tokio::sync::broadcast;
use tokio_util::sync::CancellationToken;
use tracing::Instrument;

use crate::notifier::SyncNotifier;
use crate::store::{self, MemberChange, Store};

mod api;
pub mod jobs;
pub(crate) mod schema;

#[cfg(test)]
mod tests;

pub use api::EvacuationsService;
pub use jobs::JobRow;

/// Replica-bus topic announcing a finished job; payload = job ID.
pub const JOBS_TOPIC: &str = "jobs";

/// Name of the queue (Redis stream `<prefix>:jobs:evacuation`).
pub const QUEUE_NAME: &str = "evacuation";

/// What is evacuated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Every local joined member of a room leaves it.
    Room,
    /// A user leaves every joined room and rejects every invite.
    User,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Room => "room",
            Kind::User => "user",
        }
    }

    fn parse(kind: &str) -> Option<Self> {
        match kind {
            "room" => Some(Kind::Room),
            "user" => Some(Kind::User),
            _ => None,
        }
    }
}

/// Tuning; the defaults suit production, tests shorten the timings.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Entries per chunk (one transaction each). 500 measured fastest on PostgreSQL:
    /// fewer per-chunk round trips and commits than 250, while one chunk's transaction
    /// (~50 ms) still holds the stream lock only briefly for other writers.
    pub chunk_size: usize,
    /// Worker loops per process. Chunk transactions serialize on the stream lock, so
    /// more than a couple buys little.
    pub workers: usize,
    /// Queue timings (delivery attempts, reclaim idle time, …).
    pub queue: QueueConfig,
    /// A chunk still pending this long after it was last queued is queued again.
    pub stale_after: Duration,
    /// How often the sweeper looks for stale chunks and refreshes the job gauges.
    pub sweep_every: Duration,
    /// How often a waiting caller re-reads the job, in case a bus message is lost.
    pub poll_every: Duration,
    /// How long a chunk handler keeps retrying while the database is unreachable before
    /// it gives the delivery up (must stay well under `queue.claim_idle`).
    pub unavailable_patience: Duration,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            chunk_size: 500,
            workers: 2,
            queue: QueueConfig::default(),
            stale_after: Duration::from_secs(60),
            sweep_every: Duration::from_secs(10),
            poll_every: Duration::from_secs(1),
            unavailable_patience: Duration::from_secs(2),
        }
    }
}

/// Why evacuations could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("job queue: {0}")]
    Queue(#[from] job_queue::QueueError),
}

/// Builds the queue the configuration asks for: Redis Streams when `redis.url` is set
/// (one consumer per process start), in process otherwise.
pub async fn queue_for(
    config: &Config,
    settings: &Settings,
) -> Result<JobQueue, job_queue::QueueError> {
    match &config.redis.url {
        Some(url) => {
            JobQueue::redis(
                RedisQueueOptions {
                    url: url.clone(),
                    prefix: config.redis.key_prefix.clone(),
                    queue: QUEUE_NAME.to_owned(),
                    consumer: job_queue::unique_consumer_name(),
                },
                settings.queue.clone(),
            )
            .await
        }
        None => JobQueue::in_process(settings.queue.clone()),
    }
}

/// Starts evacuations: the queue, its workers, start-up re-planning, the sweeper and the
/// metrics refresher. Returns the gRPC service.
pub async fn start(
    store: Store,
    notifier: SyncNotifier,
    bus: ReplicaBus,
    config: &Config,
    shutdown: CancellationToken,
) -> Result<EvacuationsService, StartError> {
    let settings = Settings::default();
    let queue = queue_for(config, &settings).await?;
    let evacuator = Evacuator::new(
        store,
        queue,
        bus,
        notifier,
        config.server_name.clone(),
        settings,
        shutdown,
    );
    evacuator.spawn_background();
    Ok(EvacuationsService::new(evacuator))
}

/// Plans, applies and waits for evacuation jobs; cheap to clone.
#[derive(Clone)]
pub struct Evacuator {
    inner: Arc<Inner>,
}

struct Inner {
    store: Store,
    queue: JobQueue,
    bus: ReplicaBus,
    notifier: SyncNotifier,
    server_name: String,
    settings: Settings,
    shutdown: CancellationToken,
    /// Held while this process applies a chunk (see `apply_patiently`).
    apply_turn: tokio::sync::Mutex<()>,
}

/// Longest pause after a chunk on SQLite, leaving the write lock to other writers.
const SQLITE_PAUSE_MAX: Duration = Duration::from_millis(50);

/// A planned (or found) job and its affected set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Planned {
    pub job: JobRow,
    pub affected: Vec<String>,
    /// True when an already queued or running job was returned.
    pub existing: bool,
}

/// What applying one delivery of a chunk did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Applied {
    /// The chunk was pending: `events` leave events were appended and it now counts.
    Done { events: usize, job: JobRow },
    /// The chunk was already settled (a redelivery) or is unknown: nothing changed.
    AlreadySettled,
}

/// A failure of an evacuation operation: a Matrix error for the caller, or a database
/// fault (503/500 without detail through [`fault`]).
#[derive(Debug)]
pub enum Error {
    Matrix(MatrixError),
    Db(sqlx::Error),
}

impl From<sqlx::Error> for Error {
    fn from(error: sqlx::Error) -> Self {
        Self::Db(error)
    }
}

impl From<MatrixError> for Error {
    fn from(error: MatrixError) -> Self {
        Self::Matrix(error)
    }
}

impl From<Error> for tonic::Status {
    fn from(error: Error) -> Self {
        match error {
            Error::Matrix(error) => error.into(),
            Error::Db(error) => fault(error).into(),
        }
    }
}

impl Evacuator {
    pub fn new(
        store: Store,
        queue: JobQueue,
        bus: ReplicaBus,
        notifier: SyncNotifier,
        server_name: String,
        settings: Settings,
        shutdown: CancellationToken,
    ) -> Self {
        Self {
            inner: Arc::new(Inner {
                store,
                queue,
                bus,
                notifier,
                server_name,
                settings,
                shutdown,
                apply_turn: tokio::sync::Mutex::new(()),
            }),
        }
    }

    /// Starts the workers, re-plans unfinished jobs and runs the sweeper, until shutdown.
    pub fn spawn_background(&self) {
        let inner = &self.inner;
        let handler: Arc<dyn ChunkHandler> = Arc::new(self.clone());
        inner
            .queue
            .run_workers(handler, inner.settings.workers, inner.shutdown.clone());
        let this = self.clone();
        tokio::spawn(async move {
            // Re-plan what a previous run left unfinished (retrying while the database
            // is unreachable), then sweep periodically.
            loop {
                match this.replan().await {
                    Ok(_) => break,
                    Err(error) => tracing::warn!(%error, "re-planning unfinished jobs failed"),
                }
                tokio::select! {
                    () = this.inner.shutdown.cancelled() => return,
                    () = tokio::time::sleep(Duration::from_secs(1)) => {}
                }
            }
            this.sweep_forever().await;
        });
    }

    /// Records a job for `target` and queues its chunks, or returns the queued or running
    /// job for the same target. `trace_context` is stored with the job and every queue
    /// entry, so workers join the planning request's trace.
    pub async fn plan(
        &self,
        kind: Kind,
        target: &str,
        trace_context: &HashMap<String, String>,
    ) -> Result<Planned, Error> {
        // Fast path without the write lock: a repeat of a running evacuation need not
        // wait behind the chunks being applied.
        if let Some(planned) = self.active(kind, target).await? {
            return Ok(planned);
        }
        // A conflict on the unique index means another replica planned the same target
        // between our check and our insert: return its job (retry if it finished since).
        for _ in 0..3 {
            if let Some(planned) = self.try_plan(kind, target, trace_context).await? {
                if !planned.existing && planned.job.status == jobs::QUEUED {
                    self.enqueue_chunks(
                        &planned.job.job_id,
                        trace_context,
                        planned_chunks(&planned, self.inner.settings.chunk_size),
                    )
                    .await;
                }
                return Ok(planned);
            }
            if let Some(planned) = self.active(kind, target).await? {
                return Ok(planned);
            }
        }
        Err(MatrixError::unavailable().into())
    }

    /// Refreshes PostgreSQL's statistics on the membership tables before a large job.
    /// A room that grew fast (a join flood, a bulk import) can still look tiny to the
    /// planner, which then scans the whole room for every chunk: measured at 10,000
    /// members, 11.6 s without this against 2.3 s with it. SQLite needs nothing.
    async fn refresh_statistics(&self) {
        if self.inner.store.db().backend != Backend::Postgres {
            return;
        }
        let analyze =
            sqlx::query("ANALYZE membership_members, membership_current_state, membership_events")
                .execute(&self.inner.store.db().pool)
                .await;
        if let Err(error) = analyze {
            tracing::warn!(%error, "refreshing table statistics before an evacuation failed");
        }
    }

    /// The queued or running job for the target, if any.
    async fn active(&self, kind: Kind, target: &str) -> Result<Option<Planned>, sqlx::Error> {
        let mut conn = self.inner.store.conn().await?;
        let Some(job) = jobs::active_job(&mut conn, kind.as_str(), target).await? else {
            return Ok(None);
        };
        let affected = jobs::affected(&mut conn, &job.job_id).await?;
        Ok(Some(Planned {
            job,
            affected,
            existing: true,
        }))
    }

    /// One planning attempt; `None` when the insert lost a race on the unique index.
    async fn try_plan(
        &self,
        kind: Kind,
        target: &str,
        trace_context: &HashMap<String, String>,
    ) -> Result<Option<Planned>, Error> {
        // The write lock orders planning with membership changes (and with other
        // planners, so the check below sees their committed jobs).
        let mut tx = self.inner.store.begin_write().await?;
        if let Some(job) = jobs::active_job(&mut tx, kind.as_str(), target).await? {
            let affected = jobs::affected(&mut tx, &job.job_id).await?;
            return Ok(Some(Planned {
                job,
                affected,
                existing: true,
            }));
        }
        let affected = match kind {
            Kind::Room => {
                if store::get_room(&mut tx, target).await?.is_none() {
                    return Err(MatrixError::not_found("room does not exist").into());
                }
                store::local_joined_members(&mut tx, target, &self.inner.server_name).await?
            }
            Kind::User => {
                let mut rooms = store::rooms_with_membership(&mut tx, target, "join").await?;
                rooms.extend(store::rooms_with_membership(&mut tx, target, "invite").await?);
                rooms
            }
        };
        let now = now_ms();
        let finished = affected.is_empty();
        let job = JobRow {
            job_id: new_job_id(),
            kind: kind.as_str().to_owned(),
            target: target.to_owned(),
            status: if finished {
                jobs::COMPLETE
            } else {
                jobs::QUEUED
            }
            .to_owned(),
            total: affected.len() as i64,
            done: 0,
            failed: 0,
            created_ts: now,
            finished_ts: finished.then_some(now),
            trace_context: serde_json::to_string(trace_context).unwrap_or_else(|_| "{}".into()),
        };
        if !jobs::insert_job(&mut tx, &job).await? {
            return Ok(None);
        }
        let chunks: Vec<&[String]> = affected
            .chunks(self.inner.settings.chunk_size.max(1))
            .collect();
        jobs::insert_chunks(&mut tx, &job.job_id, &chunks, now).await?;
        tx.commit().await?;
        tracing::info!(job_id = %job.job_id, kind = kind.as_str(), target, total = job.total, chunks = chunks.len(), "evacuation planned");
        if affected.len() >= REFRESH_STATISTICS_FROM {
            self.refresh_statistics().await;
        }
        Ok(Some(Planned {
            job,
            affected,
            existing: false,
        }))
    }

    /// Queues chunks of a job. A failure is logged, not returned: the chunks stay
    /// pending in the database and the sweeper (or the next start-up) queues them.
    async fn enqueue_chunks(
        &self,
        job_id: &str,
        trace_context: &HashMap<String, String>,
        chunks: impl IntoIterator<Item = i64>,
    ) {
        let messages: Vec<ChunkMessage> = chunks
            .into_iter()
            .filter_map(|chunk| u32::try_from(chunk).ok())
            .map(|chunk| ChunkMessage {
                job_id: job_id.to_owned(),
                chunk,
                payload: String::new(),
                trace_context: trace_context.clone(),
            })
            .collect();
        if messages.is_empty() {
            return;
        }
        if let Err(error) = self.inner.queue.enqueue(messages).await {
            tracing::warn!(%error, job_id, "cannot queue chunks; the sweeper will retry");
        }
    }

    /// A job and its affected set; `None` when unknown.
    pub async fn job(&self, job_id: &str) -> Result<Option<(JobRow, Vec<String>)>, sqlx::Error> {
        let mut conn = self.inner.store.conn().await?;
        let Some(job) = jobs::get_job(&mut conn, job_id).await? else {
            return Ok(None);
        };
        let affected = jobs::affected(&mut conn, job_id).await?;
        Ok(Some((job, affected)))
    }

    /// Waits until the job is complete or failed and returns it. Woken by the replica
    /// bus; re-reads the job every `poll_every` anyway, so a lost message (or a database
    /// outage, during which it keeps waiting) cannot hang it.
    pub async fn wait(&self, job_id: &str) -> Result<JobRow, Error> {
        // Subscribe before the first read, so a completion in between is not missed.
        let mut completions = self.inner.bus.subscribe(JOBS_TOPIC);
        loop {
            let read = async {
                let mut conn = self.inner.store.conn().await?;
                jobs::get_job(&mut conn, job_id).await
            };
            match read.await {
                Ok(Some(job)) if job.is_finished() => return Ok(job),
                Ok(Some(_)) => {}
                Ok(None) => return Err(job_not_found().into()),
                Err(error) if is_unavailable(&error) => {
                    tracing::debug!(%error, job_id, "database unreachable while waiting for a job");
                }
                Err(error) => return Err(error.into()),
            }
            tokio::select! {
                () = self.inner.shutdown.cancelled() => return Err(MatrixError::unavailable().into()),
                () = next_completion(&mut completions, job_id, self.inner.settings.poll_every) => {}
            }
        }
    }

    /// Applies one chunk in one transaction (see the module docs). Entries no longer
    /// joined (or invited, for a user job) are skipped.
    pub async fn apply_chunk(&self, job_id: &str, chunk: i64) -> Result<Applied, sqlx::Error> {
        let mut tx = self.inner.store.begin_write().await?;
        let now = now_ms();
        let Some(items) = jobs::claim_chunk(&mut tx, job_id, chunk, now).await? else {
            return Ok(Applied::AlreadySettled);
        };
        let Some(job) = jobs::get_job(&mut tx, job_id).await? else {
            return Ok(Applied::AlreadySettled);
        };
        let (events, last_pos) = match Kind::parse(&job.kind) {
            Some(Kind::Room) => leave_room_members(&mut tx, &job.target, &items, now).await?,
            Some(Kind::User) => leave_user_rooms(&mut tx, &job.target, &items, now).await?,
            None => (0, None),
        };
        let job = jobs::advance(&mut tx, job_id, items.len() as i64, 0, now)
            .await?
            .unwrap_or(job);
        tx.commit().await?;
        if let Some(pos) = last_pos {
            self.inner.notifier.committed(pos).await;
        }
        self.settled(&job).await;
        Ok(Applied::Done { events, job })
    }

    /// Counts a dead-lettered chunk as failed. `Ok(false)` when it was not pending.
    pub async fn fail_chunk(&self, job_id: &str, chunk: i64) -> Result<bool, sqlx::Error> {
        let mut tx = self.inner.store.begin_write().await?;
        let now = now_ms();
        let Some(size) = jobs::fail_chunk(&mut tx, job_id, chunk, now).await? else {
            return Ok(false);
        };
        let job = jobs::advance(&mut tx, job_id, 0, size, now).await?;
        tx.commit().await?;
        if let Some(job) = job {
            self.settled(&job).await;
        }
        Ok(true)
    }

    /// After a chunk settled: announce the job's end, if this was it.
    async fn settled(&self, job: &JobRow) {
        if job.is_finished() {
            tracing::info!(job_id = %job.job_id, status = %job.status, done = job.done, failed = job.failed, "evacuation finished");
            if let Err(error) = self.inner.bus.publish(JOBS_TOPIC, &job.job_id).await {
                tracing::warn!(%error, "cannot publish a job completion; waiters will poll");
            }
        }
    }

    /// Queues the pending chunks of every unfinished job again. Returns how many.
    pub async fn replan(&self) -> Result<usize, sqlx::Error> {
        let jobs = {
            let mut conn = self.inner.store.conn().await?;
            jobs::unfinished_jobs(&mut conn).await?
        };
        let mut queued = 0;
        for job in jobs {
            let chunks = {
                let mut conn = self.inner.store.conn().await?;
                jobs::touch_pending_chunks(&mut conn, &job.job_id, now_ms()).await?
            };
            queued += chunks.len();
            tracing::info!(job_id = %job.job_id, chunks = chunks.len(), "re-queueing an unfinished job");
            self.enqueue_chunks(&job.job_id, &trace_map(&job.trace_context), chunks)
                .await;
        }
        Ok(queued)
    }

    /// Queues again chunks pending for longer than `stale_after`. Returns how many.
    pub async fn sweep(&self) -> Result<usize, sqlx::Error> {
        let now = now_ms();
        let cutoff =
            now - i64::try_from(self.inner.settings.stale_after.as_millis()).unwrap_or(i64::MAX);
        let mut conn = self.inner.store.conn().await?;
        let stale = jobs::claim_stale_chunks(&mut conn, cutoff, now, 1000).await?;
        if stale.is_empty() {
            return Ok(0);
        }
        let mut job_ids: Vec<&str> = stale.iter().map(|(job, _)| job.as_str()).collect();
        job_ids.sort_unstable();
        job_ids.dedup();
        let traces = jobs::trace_contexts(&mut conn, &job_ids).await?;
        drop(conn);
        for job_id in job_ids {
            let chunks = stale
                .iter()
                .filter(|(job, _)| job == job_id)
                .map(|(_, chunk)| *chunk);
            let trace = traces.get(job_id).map(|t| trace_map(t)).unwrap_or_default();
            tracing::info!(job_id, "re-queueing chunks pending for too long");
            self.enqueue_chunks(job_id, &trace, chunks).await;
        }
        Ok(stale.len())
    }

    async fn sweep_forever(&self) {
        let mut ticks = tokio::time::interval(self.inner.settings.sweep_every);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                () = self.inner.shutdown.cancelled() => return,
                _ = ticks.tick() => {}
            }
            if let Err(error) = self.sweep().await {
                tracing::warn!(%error, "sweeping stale chunks failed");
            }
            self.refresh_gauges().await;
        }
    }

    /// Sets the job and queue gauges from the database and the queue.
    pub async fn refresh_gauges(&self) {
        let counts = async {
            let mut conn = self.inner.store.conn().await?;
            jobs::count_by_status(&mut conn).await
        };
        if let Ok(counts) = counts.await {
            for state in jobs::ALL_STATES {
                let count = counts
                    .iter()
                    .find(|(s, _)| s == state)
                    .map_or(0, |(_, n)| *n);
                METRICS
                    .jobs
                    .get_or_create(&KindLabel {
                        kind: state.to_owned(),
                    })
                    .set(count);
            }
        }
        if let Ok(pending) = self.inner.queue.pending_count().await {
            METRICS
                .queue_pending
                .set(i64::try_from(pending).unwrap_or(i64::MAX));
        }
        if let Ok(dead) = self.inner.queue.dead_letter_count().await {
            METRICS
                .queue_dead_letters
                .set(i64::try_from(dead).unwrap_or(i64::MAX));
        }
    }

    /// `apply_chunk`, one at a time per process, retried for a while when the database
    /// is unreachable so a short outage does not use up the chunk's deliveries.
    ///
    /// Chunk transactions serialize on the write lock anyway; taking turns here keeps
    /// this process's workers from contending for it. On SQLite (the embedded default,
    /// whose waiting writers poll rather than queue) the turn is held a little after each
    /// chunk, so requests writing meanwhile are not starved by back-to-back chunks.
    async fn apply_patiently(&self, job_id: &str, chunk: i64) -> Result<Applied, sqlx::Error> {
        let _turn = self.inner.apply_turn.lock().await;
        let started = tokio::time::Instant::now();
        let applied = self.apply_retrying(job_id, chunk).await;
        if self.inner.store.db().backend == Backend::Sqlite {
            tokio::time::sleep(started.elapsed().min(SQLITE_PAUSE_MAX)).await;
        }
        applied
    }

    async fn apply_retrying(&self, job_id: &str, chunk: i64) -> Result<Applied, sqlx::Error> {
        let deadline = tokio::time::Instant::now() + self.inner.settings.unavailable_patience;
        let mut pause = Duration::from_millis(100);
        loop {
            match self.apply_chunk(job_id, chunk).await {
                Err(error)
                    if is_unavailable(&error) && tokio::time::Instant::now() + pause < deadline =>
                {
                    tracing::debug!(%error, job_id, chunk, "database unreachable; retrying the chunk");
                    tokio::time::sleep(pause).await;
                    pause = (pause * 2).min(Duration::from_secs(1));
                }
                other => return other,
            }
        }
    }
}

#[tonic::async_trait]
impl ChunkHandler for Evacuator {
    async fn handle(&self, message: &ChunkMessage, delivery: u32) -> Result<(), HandlerError> {
        let span = tracing::info_span!(
            "evacuation.chunk",
            otel.kind = "consumer",
            job_id = %message.job_id,
            chunk = message.chunk,
            delivery,
        );
        propagation::set_parent_from_map(&span, &message.trace_context);
        if delivery > 1 {
            chunk_metric("retried");
        }
        let applied = self
            .apply_patiently(&message.job_id, i64::from(message.chunk))
            .instrument(span)
            .await?;
        if let Applied::Done { .. } = applied {
            chunk_metric("done");
        }
        Ok(())
    }

    async fn dead_lettered(&self, message: &ChunkMessage, reason: &str) {
        tracing::error!(job_id = %message.job_id, chunk = message.chunk, reason, "evacuation chunk dead-lettered");
        match self
            .fail_chunk(&message.job_id, i64::from(message.chunk))
            .await
        {
            Ok(true) => chunk_metric("failed"),
            Ok(false) => {}
            // The chunk stays pending; the sweeper queues it again later.
            Err(error) => tracing::warn!(%error, "cannot record a dead-lettered chunk"),
        }
    }

    async fn queue_reset(&self) {
        tracing::warn!("the job queue lost its state; re-queueing unfinished jobs");
        if let Err(error) = self.replan().await {
            tracing::warn!(%error, "re-queueing after a queue reset failed; the sweeper will retry");
        }
    }
}

/// Self-leaves (prior content kept) for those of `users` still joined to the room.
/// Returns how many leaves were appended and the position of the last.
async fn leave_room_members(
    tx: &mut sqlx::AnyConnection,
    room_id: &str,
    users: &[String],
    now: i64,
) -> Result<(usize, Option<i64>), sqlx::Error> {
    let joined = jobs::joined_member_events(tx, room_id, users).await?;
    let changes: Vec<MemberChange> = users
        .iter()
        .filter_map(|user| {
            joined
                .get(user)
                .map(|prior| MemberChange::by_self(user, "leave", &prior.content))
        })
        .collect();
    if changes.is_empty() {
        return Ok((0, None));
    }
    let count = changes.len();
    let prior: store::PriorState = joined
        .iter()
        .map(|(user, prior)| (("m.room.member".to_owned(), user.clone()), prior.clone()))
        .collect();
    let last = store::append_member_events_over(tx, room_id, &changes, prior, now).await?;
    Ok((count, last))
}

/// The user leaves each of `rooms` where they are still joined or invited, with content
/// `{"membership":"leave"}` (rejecting an invite is a self-leave too). Returns how many
/// leaves were appended and the position of the last.
async fn leave_user_rooms(
    tx: &mut sqlx::AnyConnection,
    user_id: &str,
    rooms: &[String],
    now: i64,
) -> Result<(usize, Option<i64>), sqlx::Error> {
    let mut events = 0;
    let mut last = None;
    for room_id in rooms {
        let current = store::membership_of(tx, room_id, user_id).await?;
        if let Some(member) = current.filter(|m| m.membership == "join" || m.membership == "invite")
        {
            let change = MemberChange::by_self(user_id, "leave", "{}");
            let prior = store::PriorState::from([(
                ("m.room.member".to_owned(), user_id.to_owned()),
                store::Prior {
                    event_id: member.event_id,
                    content: member.content,
                    sender: member.sender,
                },
            )]);
            last = store::append_member_events_over(tx, room_id, &[change], prior, now).await?;
            events += 1;
        }
    }
    Ok((events, last))
}

/// Waits for a completion of `job_id` on the bus, a possible gap, or `poll_every`.
async fn next_completion(
    completions: &mut broadcast::Receiver<BusMessage>,
    job_id: &str,
    poll_every: Duration,
) {
    let deadline = tokio::time::Instant::now() + poll_every;
    loop {
        tokio::select! {
            () = tokio::time::sleep_until(deadline) => return,
            received = completions.recv() => match received {
                Ok(BusMessage::Published(payload)) if &*payload == job_id => return,
                Ok(BusMessage::Published(_)) => {}
                Ok(BusMessage::Gap) | Err(broadcast::error::RecvError::Lagged(_)) => return,
                Err(broadcast::error::RecvError::Closed) => {
                    tokio::time::sleep_until(deadline).await;
                    return;
                }
            },
        }
    }
}

/// Chunk numbers of a freshly planned job.
fn planned_chunks(planned: &Planned, chunk_size: usize) -> std::ops::Range<i64> {
    let chunks = planned.affected.len().div_ceil(chunk_size.max(1));
    0..chunks as i64
}

fn trace_map(text: &str) -> HashMap<String, String> {
    serde_json::from_str(text).unwrap_or_default()
}

fn chunk_metric(outcome: &str) {
    METRICS
        .chunks
        .get_or_create(&KindLabel {
            kind: outcome.to_owned(),
        })
        .inc();
}

/// `404 M_NOT_FOUND` for an unknown job.
pub(crate) fn job_not_found() -> MatrixError {
    MatrixError::not_found("Job not found")
}

/// A job ID: 32 random hex digits.
fn new_job_id() -> String {
    format!("{:032x}", rand::rng().random::<u128>())
}
