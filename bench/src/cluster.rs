//! The system under test, as child processes of the real `bailiff` binary: one process
//! (embedded: SQLite, in-process queue) or four (distributed: one per role, PostgreSQL
//! and Redis). Children are killed when the [`Cluster`] is dropped, whatever the reason
//! (error, Ctrl-C, panic); the temporary directory, the bench database and the Redis
//! keys go with them.

use std::net::{SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use anyhow::{Context, bail};
use serde_json::json;
use sqlx::Connection;
use tokio::process::{Child, Command};

use crate::http::Http;

/// How the system is deployed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// One `bailiff serve` process: every role, SQLite, in-process queue and bus.
    Embedded,
    /// One process per role on PostgreSQL and Redis.
    Distributed,
}

impl Mode {
    pub fn name(self) -> &'static str {
        match self {
            Mode::Embedded => "embedded",
            Mode::Distributed => "distributed",
        }
    }
}

/// Where to find the binary and the servers the distributed mode needs.
#[derive(Debug, Clone)]
pub struct Options {
    pub bin: PathBuf,
    /// A PostgreSQL URL whose user may create databases; the database part is replaced.
    pub postgres_url: String,
    pub redis_url: String,
    pub startup_timeout: Duration,
    /// `telemetry.log_level` of the children.
    pub log_level: String,
}

/// The server name of every benchmark deployment.
pub const SERVER_NAME: &str = "bench.test";

/// Resident memory of one process, from `/proc/<pid>/status`.
#[derive(Debug, Clone, Copy)]
pub struct Memory {
    /// Resident set size now (VmRSS), KiB.
    pub rss_kib: u64,
    /// Peak resident set size (VmHWM), KiB.
    pub hwm_kib: u64,
}

/// Reads VmRSS and VmHWM of `pid`.
pub fn memory_of(pid: u32) -> anyhow::Result<Memory> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))
        .with_context(|| format!("reading /proc/{pid}/status"))?;
    let field = |name: &str| -> anyhow::Result<u64> {
        status
            .lines()
            .find_map(|line| line.strip_prefix(name))
            .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
            .with_context(|| format!("no {name} in /proc/{pid}/status"))
    };
    Ok(Memory {
        rss_kib: field("VmRSS:")?,
        hwm_kib: field("VmHWM:")?,
    })
}

/// CPU time (user + system, all threads) a process has used so far, from
/// `/proc/<pid>/stat`; `pid` `None` is this process.
pub fn cpu_time_of(pid: Option<u32>) -> anyhow::Result<Duration> {
    let path = match pid {
        Some(pid) => format!("/proc/{pid}/stat"),
        None => "/proc/self/stat".to_owned(),
    };
    let stat = std::fs::read_to_string(&path).with_context(|| format!("reading {path}"))?;
    // The command name (field 2) may hold spaces: count fields after its closing ')'.
    let after_name = stat
        .rsplit_once(')')
        .map(|(_, rest)| rest)
        .with_context(|| format!("malformed {path}"))?;
    let fields: Vec<&str> = after_name.split_whitespace().collect();
    // Fields 14 (utime) and 15 (stime) of stat(5), i.e. 12 and 13 after field 2.
    let ticks = |index: usize| -> anyhow::Result<u64> {
        fields
            .get(index)
            .and_then(|f| f.parse().ok())
            .with_context(|| format!("no CPU time in {path}"))
    };
    // Linux reports these in USER_HZ, which is 100 on every architecture it runs on.
    Ok(Duration::from_millis((ticks(11)? + ticks(12)?) * 10))
}

/// CPU time the whole machine spent busy (everything but idle and I/O wait), from
/// `/proc/stat`.
pub fn machine_busy() -> Option<Duration> {
    let stat = std::fs::read_to_string("/proc/stat").ok()?;
    let line = stat.lines().find(|l| l.starts_with("cpu "))?;
    let ticks: Vec<u64> = line
        .split_whitespace()
        .skip(1)
        .filter_map(|f| f.parse().ok())
        .collect();
    // user nice system idle iowait irq softirq steal …
    let total: u64 = ticks.iter().take(8).sum();
    let idle = ticks.get(3)? + ticks.get(4)?;
    Some(Duration::from_millis((total - idle) * 10))
}

/// CPU time used so far by the PostgreSQL backends serving `database` (their process
/// titles name it).
fn postgres_backends_cpu(database: &str) -> Option<Duration> {
    let mut total = Duration::ZERO;
    for entry in std::fs::read_dir("/proc").ok()?.flatten() {
        let name = entry.file_name();
        let Some(pid) = name.to_str().and_then(|n| n.parse::<u32>().ok()) else {
            continue;
        };
        let Ok(cmdline) = std::fs::read(format!("/proc/{pid}/cmdline")) else {
            continue;
        };
        let cmdline = String::from_utf8_lossy(&cmdline);
        if cmdline.starts_with("postgres: ")
            && cmdline.split_whitespace().any(|word| word == database)
            && let Ok(used) = cpu_time_of(Some(pid))
        {
            total += used;
        }
    }
    Some(total)
}

/// The 1-minute load average, for judging how quiet the machine was.
pub fn load_average() -> Option<f64> {
    std::fs::read_to_string("/proc/loadavg")
        .ok()?
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

/// One child process.
struct Process {
    name: String,
    child: Child,
    pid: u32,
    log: PathBuf,
    internal: SocketAddr,
}

/// A started, ready deployment. Field order matters: on drop, processes die first, then
/// the database and Redis keys are removed, then the temporary directory.
pub struct Cluster {
    pub mode: Mode,
    /// The gateway's public HTTP base URL.
    pub base_url: String,
    /// The accounts role's gRPC URL (distributed mode only).
    pub accounts_grpc: Option<String>,
    pub shared_secret: String,
    processes: Vec<Process>,
    database: Option<BenchDatabase>,
    redis: Option<RedisKeys>,
    dir: Option<tempfile::TempDir>,
}

impl Cluster {
    /// Starts the deployment and waits until every process is ready.
    pub async fn start(mode: Mode, options: &Options) -> anyhow::Result<Self> {
        let dir = tempfile::Builder::new()
            .prefix("bailiff-bench-")
            .tempdir()
            .context("creating a temporary directory")?;
        let shared_secret = uuid::Uuid::new_v4().simple().to_string();
        let mut cluster = Cluster {
            mode,
            base_url: String::new(),
            accounts_grpc: None,
            shared_secret,
            processes: Vec::new(),
            database: None,
            redis: None,
            dir: None,
        };
        let dir_path = dir.path().to_owned();
        cluster.dir = Some(dir);
        match mode {
            Mode::Embedded => cluster.start_embedded(&dir_path, options)?,
            Mode::Distributed => cluster.start_distributed(&dir_path, options).await?,
        }
        cluster.wait_ready(options.startup_timeout).await?;
        Ok(cluster)
    }

    fn start_embedded(&mut self, dir: &Path, options: &Options) -> anyhow::Result<()> {
        let [http, internal, accounts, membership, notices] = free_ports()?;
        let config = config_json(
            &self.shared_secret,
            &format!("sqlite://{}/bailiff.db", dir.display()),
            None,
            http,
            internal,
            [accounts, membership, notices],
            &options.log_level,
        );
        let path = write_config(dir, "embedded", &config)?;
        self.base_url = format!("http://{http}");
        self.spawn(options, dir, "embedded", &path, &[], internal)?;
        Ok(())
    }

    async fn start_distributed(&mut self, dir: &Path, options: &Options) -> anyhow::Result<()> {
        let stamp = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_millis())
            .unwrap_or_default();
        let name = format!("bailiff_bench_{stamp}");
        check_redis(&options.redis_url).await?;
        let database = BenchDatabase::create(&options.postgres_url, &name).await?;
        let database_url = database.url();
        self.database = Some(database);
        self.redis = Some(RedisKeys {
            url: options.redis_url.clone(),
            prefix: name.clone(),
            cleaned: false,
        });

        let [
            http,
            accounts,
            membership,
            notices,
            i_gw,
            i_acc,
            i_mem,
            i_not,
        ] = free_ports()?;
        let redis = Some((options.redis_url.as_str(), name.as_str()));
        let grpc = [accounts, membership, notices];
        let roles = [
            ("accounts", i_acc),
            ("membership", i_mem),
            ("notices", i_not),
            ("gateway", i_gw),
        ];
        let mut paths = Vec::new();
        for (role, internal) in roles {
            let config = config_json(
                &self.shared_secret,
                &database_url,
                redis,
                http,
                internal,
                grpc,
                &options.log_level,
            );
            paths.push((role, internal, write_config(dir, role, &config)?));
        }

        // Migrate once up front, so the roles do not race to create their tables.
        if let Some((_, _, path)) = paths.first() {
            migrate(options, dir, path).await?;
        }
        for (role, internal, path) in &paths {
            self.spawn(options, dir, role, path, &["--role", role], *internal)?;
        }
        self.base_url = format!("http://{http}");
        self.accounts_grpc = Some(format!("http://{accounts}"));
        Ok(())
    }

    fn spawn(
        &mut self,
        options: &Options,
        dir: &Path,
        name: &str,
        config: &Path,
        extra: &[&str],
        internal: SocketAddr,
    ) -> anyhow::Result<()> {
        let log = dir.join(format!("{name}.log"));
        let mut command = child_command(options, &log)?;
        command
            .arg("serve")
            .arg("--config")
            .arg(config)
            .args(extra)
            .kill_on_drop(true);
        let child = command
            .spawn()
            .with_context(|| format!("starting {} ({name})", options.bin.display()))?;
        let pid = child
            .id()
            .with_context(|| format!("{name} exited at once"))?;
        self.processes.push(Process {
            name: name.to_owned(),
            child,
            pid,
            log,
            internal,
        });
        Ok(())
    }

    /// Polls every process's `/readyz` and the gateway's `/_matrix/client/versions`.
    async fn wait_ready(&mut self, timeout: Duration) -> anyhow::Result<()> {
        let deadline = Instant::now() + timeout;
        let gateway = Http::new(&self.base_url);
        let internals: Vec<Http> = self
            .processes
            .iter()
            .map(|p| Http::new(&format!("http://{}", p.internal)))
            .collect();
        let mut ready = vec![false; self.processes.len()];
        let mut gateway_ready = false;
        loop {
            for (index, process) in self.processes.iter_mut().enumerate() {
                if let Some(status) = process
                    .child
                    .try_wait()
                    .with_context(|| format!("checking {}", process.name))?
                {
                    bail!(
                        "{} exited during start-up ({status}); its log ends with:\n{}",
                        process.name,
                        log_tail(&process.log)
                    );
                }
                if !ready[index] {
                    ready[index] = matches!(
                        internals[index].get("/readyz", None).await,
                        Ok(reply) if reply.status == http::StatusCode::OK
                    );
                }
            }
            if !gateway_ready {
                gateway_ready = matches!(
                    gateway.get("/_matrix/client/versions", None).await,
                    Ok(reply) if reply.status == http::StatusCode::OK
                );
            }
            if gateway_ready && ready.iter().all(|r| *r) {
                return Ok(());
            }
            if Instant::now() >= deadline {
                let waiting: Vec<&str> = self
                    .processes
                    .iter()
                    .zip(&ready)
                    .filter(|(_, r)| !**r)
                    .map(|(p, _)| p.name.as_str())
                    .collect();
                let logs: Vec<String> = self
                    .processes
                    .iter()
                    .map(|p| format!("--- {} ---\n{}", p.name, log_tail(&p.log)))
                    .collect();
                bail!(
                    "not ready within {timeout:?} (gateway versions ok: {gateway_ready}; /readyz pending: {waiting:?})\n{}",
                    logs.join("\n")
                );
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Memory of every child, by name and pid.
    pub fn memory(&self) -> Vec<(String, u32, anyhow::Result<Memory>)> {
        self.processes
            .iter()
            .map(|p| (p.name.clone(), p.pid, memory_of(p.pid)))
            .collect()
    }

    /// CPU time used so far by every child, by name.
    /// In the distributed mode, the PostgreSQL backends serving the bench database
    /// count as one more process, `postgres`.
    pub fn cpu_times(&self) -> Vec<(String, Option<Duration>)> {
        let mut times: Vec<(String, Option<Duration>)> = self
            .processes
            .iter()
            .map(|p| (p.name.clone(), cpu_time_of(Some(p.pid)).ok()))
            .collect();
        if let Some(database) = &self.database {
            times.push(("postgres".to_owned(), postgres_backends_cpu(&database.name)));
        }
        times
    }

    /// Fails if a child has died since start-up (a crash under load must not pass as
    /// a slow run).
    pub fn check_alive(&mut self) -> anyhow::Result<()> {
        for process in &mut self.processes {
            if let Some(status) = process
                .child
                .try_wait()
                .with_context(|| format!("checking {}", process.name))?
            {
                bail!(
                    "{} died ({status}); its log ends with:\n{}",
                    process.name,
                    log_tail(&process.log)
                );
            }
        }
        Ok(())
    }

    /// Stops every child and removes what the run created. Reports the first failure
    /// after trying every step.
    pub async fn stop(mut self) -> anyhow::Result<()> {
        let mut first_error: Option<anyhow::Error> = None;
        for process in &mut self.processes {
            let _ = process.child.start_kill();
            if let Err(error) = tokio::time::timeout(Duration::from_secs(10), process.child.wait())
                .await
                .map_err(anyhow::Error::from)
                .and_then(|r| r.map_err(anyhow::Error::from))
            {
                first_error.get_or_insert(error.context(format!("stopping {}", process.name)));
            }
        }
        self.processes.clear();
        if let Some(mut database) = self.database.take()
            && let Err(error) = database.drop_now().await
        {
            first_error.get_or_insert(error);
        }
        if let Some(mut redis) = self.redis.take()
            && let Err(error) = redis.clean().await
        {
            first_error.get_or_insert(error);
        }
        if let Some(dir) = self.dir.take()
            && let Err(error) = dir.close()
        {
            first_error.get_or_insert(anyhow::Error::from(error).context("removing the temp dir"));
        }
        match first_error {
            Some(error) => Err(error),
            None => Ok(()),
        }
    }
}

/// A `bailiff` command with stdout and stderr going to `log`, and no inherited
/// `BAILIFF_*` variables (they would override the generated configuration).
fn child_command(options: &Options, log: &Path) -> anyhow::Result<Command> {
    let file = std::fs::File::create(log).with_context(|| format!("creating {}", log.display()))?;
    let file2 = file.try_clone().context("duplicating a log handle")?;
    let mut command = Command::new(&options.bin);
    command
        .stdin(Stdio::null())
        .stdout(Stdio::from(file))
        .stderr(Stdio::from(file2));
    for (key, _) in std::env::vars_os() {
        if key
            .to_string_lossy()
            .to_ascii_uppercase()
            .starts_with("BAILIFF_")
        {
            command.env_remove(key);
        }
    }
    Ok(command)
}

async fn migrate(options: &Options, dir: &Path, config: &Path) -> anyhow::Result<()> {
    let log = dir.join("migrate.log");
    let mut command = child_command(options, &log)?;
    command
        .arg("migrate")
        .arg("--config")
        .arg(config)
        .kill_on_drop(true);
    let status = tokio::time::timeout(options.startup_timeout, command.status())
        .await
        .context("bailiff migrate took too long")?
        .context("running bailiff migrate")?;
    if !status.success() {
        bail!("bailiff migrate failed ({status}):\n{}", log_tail(&log));
    }
    Ok(())
}

/// The configuration of one process, as JSON (which is YAML).
fn config_json(
    shared_secret: &str,
    database_url: &str,
    redis: Option<(&str, &str)>,
    http: SocketAddr,
    internal: SocketAddr,
    [accounts, membership, notices]: [SocketAddr; 3],
    log_level: &str,
) -> serde_json::Value {
    let role = |addr: SocketAddr| json!({ "listen": addr.to_string(), "address": format!("http://{addr}") });
    let mut config = json!({
        "server_name": SERVER_NAME,
        "registration_shared_secret": shared_secret,
        "database": { "url": database_url },
        "listen": { "http": http.to_string(), "internal": internal.to_string() },
        "accounts": role(accounts),
        "membership": role(membership),
        "notices": role(notices),
        "telemetry": { "log_level": log_level },
    });
    if let Some((url, prefix)) = redis {
        config["redis"] = json!({ "url": url, "key_prefix": prefix });
    }
    config
}

fn write_config(dir: &Path, name: &str, config: &serde_json::Value) -> anyhow::Result<PathBuf> {
    let path = dir.join(format!("{name}.yaml"));
    let text = serde_json::to_string_pretty(config).context("encoding a configuration")?;
    std::fs::write(&path, text).with_context(|| format!("writing {}", path.display()))?;
    Ok(path)
}

/// `N` distinct free loopback ports (all bound at once, then released).
fn free_ports<const N: usize>() -> anyhow::Result<[SocketAddr; N]> {
    let listeners = (0..N)
        .map(|_| TcpListener::bind("127.0.0.1:0").context("finding a free port"))
        .collect::<anyhow::Result<Vec<_>>>()?;
    let addrs = listeners
        .iter()
        .map(|l| l.local_addr().context("reading a bound port"))
        .collect::<anyhow::Result<Vec<_>>>()?;
    addrs
        .try_into()
        .map_err(|_| anyhow::anyhow!("port count mismatch"))
}

/// The last lines of a log file.
fn log_tail(path: &Path) -> String {
    match std::fs::read_to_string(path) {
        Ok(text) => {
            let lines: Vec<&str> = text.lines().collect();
            lines[lines.len().saturating_sub(30)..].join("\n")
        }
        Err(error) => format!("(cannot read {}: {error})", path.display()),
    }
}

async fn check_redis(url: &str) -> anyhow::Result<()> {
    let client = redis::Client::open(url).with_context(|| format!("bad Redis URL {url}"))?;
    let mut conn = tokio::time::timeout(
        Duration::from_secs(5),
        client.get_multiplexed_async_connection(),
    )
    .await
    .with_context(|| format!("Redis at {url} does not answer"))?
    .with_context(|| format!("Redis at {url} is needed for the distributed mode"))?;
    redis::cmd("PING")
        .query_async::<String>(&mut conn)
        .await
        .with_context(|| format!("PING {url}"))?;
    Ok(())
}

/// A database created for one run and dropped after it (also on drop).
struct BenchDatabase {
    admin_url: String,
    name: String,
    dropped: bool,
}

impl BenchDatabase {
    async fn create(admin_url: &str, name: &str) -> anyhow::Result<Self> {
        let mut admin = sqlx::PgConnection::connect(admin_url)
            .await
            .with_context(|| {
                format!("PostgreSQL at {admin_url} is needed for the distributed mode")
            })?;
        drop_stale_databases(&mut admin).await;
        // The name is ours: a fixed prefix and a timestamp.
        sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
            .execute(&mut admin)
            .await
            .with_context(|| format!("creating database {name}"))?;
        let _ = admin.close().await;
        Ok(Self {
            admin_url: admin_url.to_owned(),
            name: name.to_owned(),
            dropped: false,
        })
    }

    fn url(&self) -> String {
        let base = self
            .admin_url
            .rsplit_once('/')
            .map_or(self.admin_url.as_str(), |(base, _)| base);
        format!("{base}/{}", self.name)
    }

    async fn drop_now(&mut self) -> anyhow::Result<()> {
        self.dropped = true;
        drop_database(&self.admin_url, &self.name).await
    }
}

/// Bench databases older than this were left by a run that was killed outright
/// (SIGKILL); any run still using one would have been going for hours.
const STALE_AFTER: Duration = Duration::from_secs(6 * 3600);

/// Drops `bailiff_bench_<ms>` databases older than [`STALE_AFTER`]. Best effort.
async fn drop_stale_databases(admin: &mut sqlx::PgConnection) {
    let now_ms = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis())
        .unwrap_or_default();
    let names: Vec<String> = sqlx::query_scalar(
        "SELECT datname FROM pg_database WHERE datname LIKE 'bailiff\\_bench\\_%'",
    )
    .fetch_all(&mut *admin)
    .await
    .unwrap_or_default();
    for name in names {
        let created_ms = name
            .strip_prefix("bailiff_bench_")
            .and_then(|stamp| stamp.parse::<u128>().ok());
        let stale = created_ms
            .is_some_and(|created| now_ms.saturating_sub(created) > STALE_AFTER.as_millis());
        if stale {
            // Only digits follow our prefix: the name is safe to splice in.
            let _ = sqlx::query(sqlx::AssertSqlSafe(format!(
                "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
            )))
            .execute(&mut *admin)
            .await;
        }
    }
}

async fn drop_database(admin_url: &str, name: &str) -> anyhow::Result<()> {
    let mut admin = sqlx::PgConnection::connect(admin_url)
        .await
        .with_context(|| format!("connecting to {admin_url} to drop {name}"))?;
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
    )))
    .execute(&mut admin)
    .await
    .with_context(|| format!("dropping database {name}"))?;
    let _ = admin.close().await;
    Ok(())
}

impl Drop for BenchDatabase {
    fn drop(&mut self) {
        if self.dropped {
            return;
        }
        let (url, name) = (self.admin_url.clone(), self.name.clone());
        // Drop may run inside the runtime (Ctrl-C, error): use a thread of its own.
        let outcome = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()?;
            runtime.block_on(drop_database(&url, &name))
        })
        .join();
        match outcome {
            Ok(Ok(())) => {}
            Ok(Err(error)) => eprintln!("bailiff-bench: {error:#}"),
            Err(_) => eprintln!("bailiff-bench: dropping database {} panicked", self.name),
        }
    }
}

/// The Redis keys of one run (all start with its unique prefix), deleted after it.
struct RedisKeys {
    url: String,
    prefix: String,
    cleaned: bool,
}

impl RedisKeys {
    async fn clean(&mut self) -> anyhow::Result<()> {
        self.cleaned = true;
        delete_keys(&self.url, &self.prefix).await
    }
}

async fn delete_keys(url: &str, prefix: &str) -> anyhow::Result<()> {
    let client = redis::Client::open(url).with_context(|| format!("bad Redis URL {url}"))?;
    let mut conn = client
        .get_multiplexed_async_connection()
        .await
        .with_context(|| format!("connecting to {url} to delete {prefix}*"))?;
    let mut cursor: u64 = 0;
    loop {
        let (next, keys): (u64, Vec<String>) = redis::cmd("SCAN")
            .arg(cursor)
            .arg("MATCH")
            .arg(format!("{prefix}*"))
            .arg("COUNT")
            .arg(1000)
            .query_async(&mut conn)
            .await
            .context("SCAN")?;
        if !keys.is_empty() {
            redis::cmd("DEL")
                .arg(&keys)
                .query_async::<i64>(&mut conn)
                .await
                .context("DEL")?;
        }
        if next == 0 {
            return Ok(());
        }
        cursor = next;
    }
}

impl Drop for RedisKeys {
    fn drop(&mut self) {
        if self.cleaned {
            return;
        }
        let (url, prefix) = (self.url.clone(), self.prefix.clone());
        let outcome = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()?;
            runtime.block_on(delete_keys(&url, &prefix))
        })
        .join();
        if let Ok(Err(error)) = outcome {
            eprintln!("bailiff-bench: cleaning Redis keys: {error:#}");
        }
    }
}

/// Additions for the evacuation benchmark (`crate::evacuation`).
impl Cluster {
    /// The database URL of the deployment: the SQLite file (embedded) or the bench
    /// database (distributed), for seeding straight through the stores.
    pub fn database_url(&self) -> anyhow::Result<String> {
        match (&self.database, &self.dir) {
            (Some(database), _) => Ok(database.url()),
            (None, Some(dir)) => Ok(format!("sqlite://{}/bailiff.db", dir.path().display())),
            (None, None) => bail!("the deployment has no database"),
        }
    }

    /// Distributed mode only: starts one more `serve --role membership` process (named
    /// `membership<n>`), a second consumer of the evacuation stream. Its configuration is
    /// the first membership process's with its own gRPC and internal ports (the other
    /// roles keep talking to the first one). Waits until it is ready.
    pub async fn add_membership_replica(&mut self, options: &Options) -> anyhow::Result<()> {
        if self.mode != Mode::Distributed {
            bail!("extra membership processes need the distributed mode");
        }
        let dir = self
            .dir
            .as_ref()
            .map(|d| d.path().to_owned())
            .context("the deployment has no directory")?;
        let text = std::fs::read_to_string(dir.join("membership.yaml"))
            .context("reading the membership configuration")?;
        let mut config: serde_json::Value =
            serde_json::from_str(&text).context("parsing the membership configuration")?;
        let [grpc, internal] = free_ports()?;
        config["membership"]["listen"] = json!(grpc.to_string());
        config["listen"]["internal"] = json!(internal.to_string());
        let count = self
            .processes
            .iter()
            .filter(|p| p.name.starts_with("membership"))
            .count();
        let name = format!("membership{}", count + 1);
        let path = write_config(&dir, &name, &config)?;
        self.spawn(
            options,
            &dir,
            &name,
            &path,
            &["--role", "membership"],
            internal,
        )?;
        self.wait_ready(options.startup_timeout).await
    }
}
