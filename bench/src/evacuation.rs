//! `bailiff-bench evacuate`: how long evacuations take against the real processes.
//!
//! Cases: a room of N local joined members (`evacuateRoom`, N from `--sizes`; the room's
//! creator, the admin, counts as one of the N) and a user joined to `--user-rooms` rooms
//! (`evacuateUser`). Per case: the room (or rooms) are created over HTTP by the admin,
//! the memberships written straight through membership-svc's store
//! (`Store::begin_write` + `append_member_events`, batches of [`SEED_BATCH`]) on the
//! deployment's own database, then ONLY the synchronous evacuation call is timed. After
//! it: `affected.len()` must equal the seeded count, `GET /_dendrite/admin/jobs/{id}`
//! must say `complete` with `done == total`, and nobody may still be joined.
//!
//! The chunk timestamps the job leaves in `membership_evac_chunks` (`finished_ts`) give a
//! breakdown: planning, the wait for the first chunk, and the interval between chunk
//! commits. Peak memory is VmHWM of each process, reset (`/proc/<pid>/clear_refs` = 5)
//! just before the call, so it is the peak during the evacuation. See docs/benchmarks.md.

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail, ensure};
use bailiff_database::Database;
use bailiff_domain::now_ms;
use bytes::Bytes;
use clap::{Args, Subcommand};
use http::{Method, Request, StatusCode, header};
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use membership_svc::store::{MemberChange, Store, append_member_events};
use serde_json::json;

use crate::cluster::{self, Cluster, Mode, SERVER_NAME};
use crate::http::{Http, segment};
use crate::seed;

/// Subcommands of `bailiff-bench`.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Times evacuations (rooms of N local members, a user in many rooms) instead of
    /// running the load scenarios.
    Evacuate(EvacuateArgs),
}

#[derive(Debug, Args)]
pub struct EvacuateArgs {
    /// Deployment(s) to measure.
    #[arg(long, value_enum, default_value = "both")]
    mode: crate::ModeArg,
    /// Room sizes: local joined members, the creator included (default 1000,10000,100000).
    #[arg(long, value_delimiter = ',')]
    sizes: Vec<usize>,
    /// Rooms the evacuated user is joined to; 0 skips the user case.
    #[arg(long, default_value_t = 1000)]
    user_rooms: usize,
    /// Sizes 1000,10000 (unless --sizes is given).
    #[arg(long)]
    quick: bool,
    /// `serve --role membership` processes in the distributed mode (evacuation workers).
    #[arg(long, default_value_t = 2)]
    membership_processes: usize,
    /// PostgreSQL: do not `ANALYZE` the membership tables after seeding. By default they
    /// are analyzed, as autovacuum would have done for a room that grew over time; without
    /// it the planner still thinks the freshly seeded room is tiny and every chunk scans
    /// the whole room (see docs/benchmarks.md).
    #[arg(long)]
    no_analyze: bool,
    /// Upper bound on one evacuation call.
    #[arg(long, default_value_t = 1800)]
    call_timeout: u64,
}

/// Memberships written per seeding transaction.
const SEED_BATCH: usize = 1_000;
/// createRoom calls in flight when seeding the user case.
const CREATE_PARALLELISM: usize = 16;
/// Rooms per seeding transaction in the user case.
const USER_SEED_BATCH: usize = 100;

/// What one case evacuates.
#[derive(Debug, Clone, Copy)]
enum Case {
    /// A room with this many local joined members.
    Room(usize),
    /// A user joined to this many rooms.
    User(usize),
}

impl Case {
    fn label(self) -> String {
        match self {
            Case::Room(n) => format!("room, {n} members"),
            Case::User(n) => format!("user, {n} rooms"),
        }
    }

    fn entries(self) -> usize {
        match self {
            Case::Room(n) | Case::User(n) => n,
        }
    }
}

/// One process's numbers during one evacuation.
struct ProcessRow {
    name: String,
    /// VmHWM since the reset just before the call (lifetime peak if the reset failed).
    hwm_kib: Option<u64>,
    rss_kib: Option<u64>,
    cpu: Option<Duration>,
}

/// The outcome of one case.
struct CaseRow {
    mode: &'static str,
    case: Case,
    outcome: Result<Measured, String>,
}

struct Measured {
    seed: Duration,
    elapsed: Duration,
    chunks: usize,
    /// Request start → job recorded (`created_ts`).
    plan_ms: i64,
    /// Job recorded → first chunk committed.
    first_chunk_ms: i64,
    /// Intervals between consecutive chunk commits (ms), sorted.
    intervals: Vec<i64>,
    /// Last chunk committed → response received.
    tail_ms: i64,
    /// Machine CPU busy during the call, percent of all cores.
    machine_busy: Option<f64>,
    /// 1-minute load average just before the call (other work on the machine).
    load_before: Option<f64>,
    processes: Vec<ProcessRow>,
    hwm_reset: bool,
}

pub async fn run(command: &Command, cli: &crate::Cli) -> anyhow::Result<()> {
    let Command::Evacuate(args) = command;
    let sizes = if !args.sizes.is_empty() {
        args.sizes.clone()
    } else if args.quick {
        vec![1_000, 10_000]
    } else {
        vec![1_000, 10_000, 100_000]
    };
    if sizes.contains(&0) {
        bail!("--sizes needs positive numbers");
    }
    if args.membership_processes == 0 {
        bail!("--membership-processes must be at least 1");
    }
    let mut cases: Vec<Case> = sizes.iter().map(|&n| Case::Room(n)).collect();
    if args.user_rooms > 0 {
        cases.push(Case::User(args.user_rooms));
    }
    let modes = args.mode.modes();
    let options = crate::cluster_options(cli).await?;
    let call_timeout = Duration::from_secs(args.call_timeout);
    println!(
        "bailiff-bench evacuate: binary {}; cases: {}; {} membership process(es) in the distributed mode; {} cores",
        options.bin.display(),
        cases
            .iter()
            .map(|c| c.label())
            .collect::<Vec<_>>()
            .join("; "),
        args.membership_processes,
        cores(),
    );

    let mut rows: Vec<CaseRow> = Vec::new();
    for mode in modes {
        println!("\n== {}: starting", mode.name());
        let mut cluster = Cluster::start(mode, &options)
            .await
            .with_context(|| format!("starting the {} deployment", mode.name()))?;
        let outcome = bench_mode(
            &mut cluster,
            &options,
            &cases,
            args.membership_processes,
            call_timeout,
            args.no_analyze,
            &mut rows,
        )
        .await;
        let stopped = cluster.stop().await;
        outcome?;
        stopped.with_context(|| format!("cleaning up the {} deployment", mode.name()))?;
    }

    println!("\n== evacuations (only the synchronous call is timed)\n");
    print!("{}", results_table(&rows));
    println!(
        "\n== per process during each call (VmHWM reset just before the call; CPU = user+system seconds used during it)\n"
    );
    print!("{}", process_table(&rows));
    println!("\n== chunk timeline (from membership_evac_chunks.finished_ts, ms)\n");
    print!("{}", timeline_table(&rows));
    println!("\n== targets\n");
    for line in targets(&rows) {
        println!("{line}");
    }
    let failed: Vec<&CaseRow> = rows.iter().filter(|r| r.outcome.is_err()).collect();
    if !failed.is_empty() {
        println!("\n== errors\n");
        for row in failed {
            if let Err(error) = &row.outcome {
                println!("{} {}: {error}", row.mode, row.case.label());
            }
        }
        bail!("some evacuations failed");
    }
    Ok(())
}

async fn bench_mode(
    cluster: &mut Cluster,
    options: &cluster::Options,
    cases: &[Case],
    membership_processes: usize,
    call_timeout: Duration,
    no_analyze: bool,
    rows: &mut Vec<CaseRow>,
) -> anyhow::Result<()> {
    let mode = cluster.mode;
    if mode == Mode::Distributed {
        for _ in 1..membership_processes {
            cluster
                .add_membership_replica(options)
                .await
                .context("starting another membership process")?;
        }
    }
    let http = Http::new(&cluster.base_url);
    let admin = seed::register_user(&http, &cluster.shared_secret, "bench_admin", true, false)
        .await
        .context("registering the admin")?;
    let database_url = cluster.database_url()?;
    let db = Database::connect(&database_url, 4)
        .await
        .with_context(|| format!("connecting to {database_url}"))?;
    let store = Store::new(db);
    let caller = Caller::new(&cluster.base_url, call_timeout);
    let names: Vec<String> = cluster.memory().into_iter().map(|(n, _, _)| n).collect();
    println!(
        "   ready at {}; processes: {}; admin {}; seeding through the store on {}",
        http.base(),
        names.join(", "),
        admin.user_id,
        if mode == Mode::Embedded {
            "the SQLite file"
        } else {
            "the PostgreSQL bench database"
        }
    );
    for (index, &case) in cases.iter().enumerate() {
        let tag = format!("e{index}{}", crate::unique_suffix());
        let analyze = mode == Mode::Distributed && !no_analyze;
        let outcome = one_case(cluster, &http, &caller, &store, &admin, case, &tag, analyze).await;
        let row = CaseRow {
            mode: mode.name(),
            case,
            outcome: outcome.map_err(|e| format!("{e:#}")),
        };
        println!("{}", progress_line(&row));
        rows.push(row);
        cluster.check_alive()?;
    }
    store.db().pool.close().await;
    Ok(())
}

/// Seeds, times the call, verifies.
#[allow(clippy::too_many_arguments)]
async fn one_case(
    cluster: &Cluster,
    http: &Http,
    caller: &Caller,
    store: &Store,
    admin: &seed::User,
    case: Case,
    tag: &str,
    analyze: bool,
) -> anyhow::Result<Measured> {
    let seed_started = Instant::now();
    let (kind, target, path) = match case {
        Case::Room(members) => {
            let room = create_room(http, &admin.access_token).await?;
            // The creator (the admin) is one of the local members.
            let users: Vec<String> = (1..members)
                .map(|i| format!("@{tag}_{i}:{SERVER_NAME}"))
                .collect();
            seed_room_members(store, &room, &users).await?;
            let path = format!("/_dendrite/admin/evacuateRoom/{}", segment(&room));
            ("room", room, path)
        }
        Case::User(rooms) => {
            let user = format!("@{tag}_user:{SERVER_NAME}");
            let rooms = create_rooms(http, &admin.access_token, rooms).await?;
            seed_user_rooms(store, &user, &rooms).await?;
            let path = format!("/_dendrite/admin/evacuateUser/{}", segment(&user));
            ("user", user, path)
        }
    };
    if analyze {
        sqlx::query("ANALYZE membership_members, membership_current_state, membership_events")
            .execute(&store.db().pool)
            .await
            .context("ANALYZE after seeding")?;
    }
    let seed = seed_started.elapsed();

    // Quiet moment, then: reset peaks, sample CPU, call.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let before = cluster.memory();
    let hwm_reset = before.iter().all(|(_, pid, _)| reset_peak(*pid).is_ok());
    let cpu_before = cluster.cpu_times();
    let load_before = cluster::load_average();
    let machine_before = machine_cpu();
    let wall_start = now_ms();
    let started = Instant::now();
    let reply = caller.post(&path, &admin.access_token).await?;
    let elapsed = started.elapsed();
    let wall_end = now_ms();
    let machine_after = machine_cpu();
    let cpu_after = cluster.cpu_times();
    let after = cluster.memory();

    ensure!(
        reply.0 == StatusCode::OK,
        "{path}: expected 200, got {}: {}",
        reply.0,
        String::from_utf8_lossy(&reply.1)
    );
    let body: serde_json::Value = serde_json::from_slice(&reply.1).context("reply not JSON")?;
    let affected = body["affected"]
        .as_array()
        .context("reply without affected")?
        .len();
    ensure!(
        affected == case.entries(),
        "affected has {affected} entries, expected {}",
        case.entries()
    );

    // The job: done == total == entries, complete.
    let mut conn = store.conn().await?;
    let job_id: String = sqlx::query_scalar(
        "SELECT job_id FROM membership_evac_jobs WHERE kind = $1 AND target = $2 \
         ORDER BY created_ts DESC LIMIT 1",
    )
    .bind(kind)
    .bind(&target)
    .fetch_one(&mut *conn)
    .await
    .context("finding the job")?;
    let job = http
        .get(
            &format!("/_dendrite/admin/jobs/{}", segment(&job_id)),
            Some(&admin.access_token),
        )
        .await?
        .expect(StatusCode::OK, "GET job")?
        .json();
    let entries = case.entries() as u64;
    ensure!(
        job["status"] == "complete"
            && job["total"].as_u64() == Some(entries)
            && job["done"].as_u64() == Some(entries)
            && job["failed"].as_u64() == Some(0),
        "job {job_id} is not complete with done == total == {entries}: {job}"
    );
    let still_joined: i64 = match case {
        Case::Room(_) => sqlx::query_scalar(
            "SELECT COUNT(*) FROM membership_members WHERE room_id = $1 AND membership = 'join'",
        ),
        Case::User(_) => sqlx::query_scalar(
            "SELECT COUNT(*) FROM membership_members WHERE user_id = $1 AND membership = 'join'",
        ),
    }
    .bind(&target)
    .fetch_one(&mut *conn)
    .await?;
    ensure!(still_joined == 0, "{still_joined} still joined afterwards");

    // Chunk timeline.
    let created_ts: i64 =
        sqlx::query_scalar("SELECT created_ts FROM membership_evac_jobs WHERE job_id = $1")
            .bind(&job_id)
            .fetch_one(&mut *conn)
            .await?;
    let mut finished: Vec<i64> = sqlx::query_scalar(
        "SELECT finished_ts FROM membership_evac_chunks WHERE job_id = $1 AND finished_ts IS NOT NULL",
    )
    .bind(&job_id)
    .fetch_all(&mut *conn)
    .await?;
    drop(conn);
    finished.sort_unstable();
    let first = finished.first().copied().unwrap_or(created_ts);
    let last = finished.last().copied().unwrap_or(created_ts);
    let mut intervals: Vec<i64> = finished.windows(2).map(|w| w[1] - w[0]).collect();
    intervals.sort_unstable();

    let processes = after
        .into_iter()
        .map(|(name, _, memory)| {
            let cpu = match (
                cpu_before
                    .iter()
                    .find(|(n, _)| *n == name)
                    .and_then(|c| c.1),
                cpu_after.iter().find(|(n, _)| *n == name).and_then(|c| c.1),
            ) {
                (Some(a), Some(b)) => Some(b.saturating_sub(a)),
                _ => None,
            };
            let memory = memory.ok();
            ProcessRow {
                name,
                hwm_kib: memory.map(|m| m.hwm_kib),
                rss_kib: memory.map(|m| m.rss_kib),
                cpu,
            }
        })
        .collect();
    let machine_busy = match (machine_before, machine_after) {
        (Some((busy_a, total_a)), Some((busy_b, total_b))) if total_b > total_a => {
            Some(100.0 * (busy_b - busy_a) as f64 / (total_b - total_a) as f64)
        }
        _ => None,
    };
    Ok(Measured {
        seed,
        elapsed,
        chunks: finished.len(),
        plan_ms: created_ts - wall_start,
        first_chunk_ms: first - created_ts,
        intervals,
        tail_ms: wall_end - last,
        machine_busy,
        load_before,
        processes,
        hwm_reset,
    })
}

/// Creates a public room as the admin; returns its ID.
async fn create_room(http: &Http, token: &str) -> anyhow::Result<String> {
    let reply = http
        .post_json(
            "/_matrix/client/v3/createRoom",
            Some(token),
            &json!({ "preset": "public_chat" }),
        )
        .await?
        .expect(StatusCode::OK, "createRoom")?;
    reply.json()["room_id"]
        .as_str()
        .map(str::to_owned)
        .context("createRoom reply without room_id")
}

async fn create_rooms(http: &Http, token: &str, count: usize) -> anyhow::Result<Vec<String>> {
    use futures::StreamExt as _;
    futures::stream::iter(0..count)
        .map(|_| create_room(http, token))
        .buffered(CREATE_PARALLELISM)
        .collect::<Vec<_>>()
        .await
        .into_iter()
        .collect()
}

/// Joins `users` to `room` through the store, [`SEED_BATCH`] per transaction.
async fn seed_room_members(store: &Store, room: &str, users: &[String]) -> anyhow::Result<()> {
    for batch in users.chunks(SEED_BATCH) {
        let changes: Vec<MemberChange> = batch
            .iter()
            .map(|user| MemberChange::by_self(user, bailiff_domain::Membership::Join, "{}"))
            .collect();
        let mut tx = store.begin_write().await?;
        append_member_events(&mut tx, room, &changes, now_ms()).await?;
        tx.commit().await.context("committing seeded members")?;
    }
    Ok(())
}

/// Joins `user` to every room through the store.
async fn seed_user_rooms(store: &Store, user: &str, rooms: &[String]) -> anyhow::Result<()> {
    for batch in rooms.chunks(USER_SEED_BATCH) {
        let mut tx = store.begin_write().await?;
        for room in batch {
            let change = MemberChange::by_self(user, bailiff_domain::Membership::Join, "{}");
            append_member_events(&mut tx, room, &[change], now_ms()).await?;
        }
        tx.commit().await.context("committing seeded joins")?;
    }
    Ok(())
}

/// The evacuation call: its own client, so a long evacuation is not cut at the general
/// 30 s request timeout.
struct Caller {
    client: Client<HttpConnector, Full<Bytes>>,
    base: Arc<str>,
    timeout: Duration,
}

impl Caller {
    fn new(base: &str, timeout: Duration) -> Self {
        let mut connector = HttpConnector::new();
        connector.set_nodelay(true);
        Self {
            client: Client::builder(TokioExecutor::new()).build(connector),
            base: Arc::from(base.trim_end_matches('/')),
            timeout,
        }
    }

    async fn post(&self, path: &str, token: &str) -> anyhow::Result<(StatusCode, Bytes)> {
        let request = Request::builder()
            .method(Method::POST)
            .uri(format!("{}{path}", self.base))
            .header(header::AUTHORIZATION, format!("Bearer {token}"))
            .header(header::CONTENT_TYPE, "application/json")
            .body(Full::new(Bytes::from_static(b"{}")))
            .context("building the request")?;
        let exchange = async {
            let response = self.client.request(request).await?;
            let status = response.status();
            let body = response.into_body().collect().await?.to_bytes();
            anyhow::Ok((status, body))
        };
        tokio::time::timeout(self.timeout, exchange)
            .await
            .with_context(|| format!("{path}: no response within {:?}", self.timeout))?
            .with_context(|| format!("{path}: request failed"))
    }
}

/// Resets VmHWM of `pid` to its current RSS (Linux ≥ 4.0, same user).
fn reset_peak(pid: u32) -> std::io::Result<()> {
    std::fs::write(format!("/proc/{pid}/clear_refs"), "5")
}

/// (busy, total) jiffies of the whole machine, from `/proc/stat`.
fn machine_cpu() -> Option<(u64, u64)> {
    let stat = std::fs::read_to_string("/proc/stat").ok()?;
    let line = stat.lines().next()?.strip_prefix("cpu ")?;
    let values: Vec<u64> = line
        .split_whitespace()
        .filter_map(|v| v.parse().ok())
        .collect();
    let total: u64 = values.iter().take(8).sum();
    // idle + iowait
    let idle = values.get(3).copied().unwrap_or(0) + values.get(4).copied().unwrap_or(0);
    Some((total - idle, total))
}

fn cores() -> usize {
    std::thread::available_parallelism().map_or(0, std::num::NonZero::get)
}

fn per_second(entries: usize, elapsed: Duration) -> f64 {
    entries as f64 / elapsed.as_secs_f64().max(1e-9)
}

fn percentile(sorted: &[i64], p: f64) -> i64 {
    if sorted.is_empty() {
        return 0;
    }
    let rank = ((p / 100.0) * (sorted.len() - 1) as f64).round() as usize;
    sorted[rank.min(sorted.len() - 1)]
}

fn mib(kib: Option<u64>) -> String {
    kib.map_or_else(|| "?".to_owned(), |k| format!("{:.1}", k as f64 / 1024.0))
}

fn progress_line(row: &CaseRow) -> String {
    match &row.outcome {
        Ok(m) => format!(
            "   {:<22} {:>8.3} s  {:>9.0} leaves/s  ({} chunks; seeded in {:.1} s)",
            row.case.label(),
            m.elapsed.as_secs_f64(),
            per_second(row.case.entries(), m.elapsed),
            m.chunks,
            m.seed.as_secs_f64()
        ),
        Err(error) => format!("   {:<22} FAILED: {error}", row.case.label()),
    }
}

fn results_table(rows: &[CaseRow]) -> String {
    let mut out = String::from(
        "| mode        | case                   | members/rooms | seconds | leaves/s | chunks | machine CPU % | load1 before | peak memory (VmHWM MiB) per process |\n\
         |-------------|------------------------|--------------:|--------:|---------:|-------:|--------------:|-------------:|-------------------------------------|\n",
    );
    for row in rows {
        match &row.outcome {
            Ok(m) => {
                let memory: Vec<String> = m
                    .processes
                    .iter()
                    .map(|p| format!("{} {}", p.name, mib(p.hwm_kib)))
                    .collect();
                out.push_str(&format!(
                    "| {:<11} | {:<22} | {:>13} | {:>7.3} | {:>8.0} | {:>6} | {:>13} | {:>12} | {} |\n",
                    row.mode,
                    row.case.label(),
                    row.case.entries(),
                    m.elapsed.as_secs_f64(),
                    per_second(row.case.entries(), m.elapsed),
                    m.chunks,
                    m.machine_busy
                        .map_or_else(|| "?".to_owned(), |b| format!("{b:.0}")),
                    m.load_before
                        .map_or_else(|| "?".to_owned(), |l| format!("{l:.2}")),
                    memory.join(", "),
                ));
            }
            Err(error) => out.push_str(&format!(
                "| {:<11} | {:<22} | {:>13} | FAILED: {} |\n",
                row.mode,
                row.case.label(),
                row.case.entries(),
                error.replace('\n', " ")
            )),
        }
    }
    out
}

fn process_table(rows: &[CaseRow]) -> String {
    let mut out = String::from(
        "| mode        | case                   | process     | VmHWM MiB | VmRSS after MiB | CPU s |\n\
         |-------------|------------------------|-------------|----------:|----------------:|------:|\n",
    );
    for row in rows {
        let Ok(m) = &row.outcome else { continue };
        for p in &m.processes {
            out.push_str(&format!(
                "| {:<11} | {:<22} | {:<11} | {:>9} | {:>15} | {:>5} |\n",
                row.mode,
                row.case.label(),
                p.name,
                format!("{}{}", mib(p.hwm_kib), if m.hwm_reset { "" } else { "*" }),
                mib(p.rss_kib),
                p.cpu
                    .map_or_else(|| "?".to_owned(), |c| format!("{:.2}", c.as_secs_f64())),
            ));
        }
    }
    if rows
        .iter()
        .any(|r| matches!(&r.outcome, Ok(m) if !m.hwm_reset))
    {
        out.push_str("\n(* VmHWM could not be reset: lifetime peak)\n");
    }
    out
}

fn timeline_table(rows: &[CaseRow]) -> String {
    let mut out = String::from(
        "| mode        | case                   | plan | to 1st chunk | chunk interval p50 | p90 | max | last chunk → reply | seed s |\n\
         |-------------|------------------------|-----:|-------------:|-------------------:|----:|----:|-------------------:|-------:|\n",
    );
    for row in rows {
        let Ok(m) = &row.outcome else { continue };
        out.push_str(&format!(
            "| {:<11} | {:<22} | {:>4} | {:>12} | {:>18} | {:>3} | {:>3} | {:>18} | {:>6.1} |\n",
            row.mode,
            row.case.label(),
            m.plan_ms,
            m.first_chunk_ms,
            percentile(&m.intervals, 50.0),
            percentile(&m.intervals, 90.0),
            m.intervals.last().copied().unwrap_or(0),
            m.tail_ms,
            m.seed.as_secs_f64(),
        ));
    }
    out
}

/// Targets: 100,000 members under 10 s on PostgreSQL + Redis; 10,000 under 1.5 s.
fn targets(rows: &[CaseRow]) -> Vec<String> {
    let mut lines = Vec::new();
    for row in rows {
        let limit = match (row.case, row.mode) {
            (Case::Room(100_000), "distributed") => 10.0,
            (Case::Room(10_000), _) => 1.5,
            _ => continue,
        };
        let line = match &row.outcome {
            Ok(m) => {
                let s = m.elapsed.as_secs_f64();
                format!(
                    "{} {}: {s:.2} s (target < {limit} s): {}",
                    row.mode,
                    row.case.label(),
                    if s < limit { "met" } else { "MISSED" }
                )
            }
            Err(_) => format!("{} {}: failed", row.mode, row.case.label()),
        };
        lines.push(line);
    }
    lines
}
