//! Fault tests (docs/architecture.md "Testing"): evacuation jobs survive a killed worker, a Redis
//! restart that loses every stream, and a PostgreSQL outage, with nothing lost or
//! doubled; on the same cluster with a second gateway, admin changes are felt on every
//! gateway within a second (`support/felt_everywhere.rs`).
//!
//! Each test starts its OWN PostgreSQL cluster (`initdb`/`pg_ctl`, as the `postgres`
//! user when run as root) and its own `redis-server` without persistence, both on free
//! ports, then runs the real `bailiff` binary as separate processes: gateway, accounts,
//! notices and TWO membership processes sharing the Redis consumer group. The gateway
//! talks to the first membership process; faults hit the second one, Redis, or the
//! database. The tests run one at a time (they are heavy) and each is bounded in time.
//!
//! `cargo test --test faults`; needs `initdb`, `pg_ctl` (PATH, `/usr/local/bin` or
//! `/usr/lib/postgresql/*/bin`) and `redis-server` on PATH.

#[path = "support/roles.rs"]
mod roles;

#[path = "support/purge_fault.rs"]
mod purge_fault;

#[path = "support/felt_everywhere.rs"]
mod felt_everywhere;

use std::collections::HashMap;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use bailiff_database::Database;
use membership_svc::store::{self, NewEvent, RoomRow};
use reqwest::StatusCode;
use serde_json::{Value, json};

use roles::{GatewayClient, RoleProcess, free_port};

const SERVER_NAME: &str = "faults.test";
const SECRET: &str = "fault-secret";
/// Local members of the evacuated room (plus its creator).
const MEMBERS: usize = 5000;
/// Upper bound on one test, so a hang fails instead of blocking CI.
const TEST_BUDGET: Duration = Duration::from_secs(120);

/// The tests start several servers each; running them together would only slow all.
static ONE_AT_A_TIME: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

/// A PostgreSQL binary: PATH, then the usual install locations.
fn pg_binary(name: &str) -> PathBuf {
    let mut candidates: Vec<PathBuf> = std::env::var_os("PATH")
        .map(|path| {
            std::env::split_paths(&path)
                .map(|dir| dir.join(name))
                .collect()
        })
        .unwrap_or_default();
    candidates.push(Path::new("/usr/local/bin").join(name));
    if let Ok(versions) = std::fs::read_dir("/usr/lib/postgresql") {
        candidates.extend(versions.flatten().map(|v| v.path().join("bin").join(name)));
    }
    candidates
        .into_iter()
        .find(|p| p.is_file())
        .unwrap_or_else(|| {
            panic!("{name} not found (PATH, /usr/local/bin, /usr/lib/postgresql/*/bin)")
        })
}

/// Runs a PostgreSQL tool, as `postgres` when we are root (initdb refuses root).
fn pg_command(name: &str) -> Command {
    let binary = pg_binary(name);
    if is_root() {
        let mut command = Command::new("runuser");
        command.args(["-u", "postgres", "--"]).arg(binary);
        command
    } else {
        Command::new(binary)
    }
}

fn run(mut command: Command, what: &str) {
    let output = command
        .output()
        .unwrap_or_else(|e| panic!("{what}: cannot run: {e}"));
    assert!(
        output.status.success(),
        "{what} failed: {}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

/// A private PostgreSQL cluster, stopped on drop.
struct Postgres {
    data: PathBuf,
    dir: PathBuf,
    port: u16,
}

impl Postgres {
    fn start(root: &Path) -> Self {
        let dir = root.join("pg");
        std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("pg dir: {e}"));
        if is_root() {
            run(
                {
                    let mut c = Command::new("chown");
                    c.args(["-R", "postgres"]).arg(&dir);
                    c
                },
                "chown",
            );
        }
        let data = dir.join("data");
        let mut initdb = pg_command("initdb");
        initdb.arg("-D").arg(&data).args([
            "-A",
            "trust",
            "-U",
            "postgres",
            "--no-sync",
            "-E",
            "UTF8",
        ]);
        run(initdb, "initdb");
        let pg = Self {
            data,
            dir,
            port: free_port(),
        };
        pg.resume();
        pg
    }

    fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.port)
    }

    /// `pg_ctl start`, waiting until it accepts connections.
    fn resume(&self) {
        let mut start = pg_command("pg_ctl");
        start
            .arg("-D")
            .arg(&self.data)
            .arg("-l")
            .arg(self.dir.join("postgres.log"))
            .arg("-o")
            .arg(format!(
                "-p {} -k {} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200",
                self.port,
                self.dir.display()
            ))
            .args(["-w", "start"]);
        run(start, "pg_ctl start");
    }

    /// `pg_ctl stop -m fast`: connections are cut, the server is down until `resume`.
    fn pause(&self) {
        let mut stop = pg_command("pg_ctl");
        stop.arg("-D")
            .arg(&self.data)
            .args(["-m", "fast", "-w", "stop"]);
        run(stop, "pg_ctl stop");
    }
}

impl Drop for Postgres {
    fn drop(&mut self) {
        let mut stop = pg_command("pg_ctl");
        stop.arg("-D")
            .arg(&self.data)
            .args(["-m", "immediate", "-w", "stop"])
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        let _ = stop.status();
    }
}

/// A private `redis-server` without persistence: a restart comes back empty.
struct Redis {
    port: u16,
    log: PathBuf,
    child: Option<Child>,
}

impl Redis {
    fn start(root: &Path) -> Self {
        let mut redis = Self {
            port: free_port(),
            log: root.join("redis.log"),
            child: None,
        };
        redis.resume();
        redis
    }

    fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }

    fn resume(&mut self) {
        let log = File::create(&self.log).unwrap_or_else(|e| panic!("redis log: {e}"));
        let child = Command::new("redis-server")
            .args(["--port", &self.port.to_string(), "--bind", "127.0.0.1"])
            .args(["--save", "", "--appendonly", "no"])
            .stdout(log.try_clone().unwrap_or_else(|e| panic!("log: {e}")))
            .stderr(log)
            .spawn()
            .unwrap_or_else(|e| panic!("redis-server: {e}"));
        self.child = Some(child);
        wait_until("redis accepts connections", Duration::from_secs(10), || {
            std::net::TcpStream::connect(("127.0.0.1", self.port)).is_ok()
        });
    }

    fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl Drop for Redis {
    fn drop(&mut self) {
        self.kill();
    }
}

fn wait_until(what: &str, budget: Duration, mut ready: impl FnMut() -> bool) {
    let deadline = Instant::now() + budget;
    while !ready() {
        assert!(Instant::now() < deadline, "timed out waiting until {what}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// The whole deployment of one test.
struct Cluster {
    root: tempfile::TempDir,
    pg: Postgres,
    redis: Redis,
    gateway: GatewayClient,
    /// gRPC address of the second membership process, the one faults hit.
    membership_b: String,
    processes: Vec<RoleProcess>,
}

impl Cluster {
    async fn start() -> Self {
        let root = tempfile::tempdir().unwrap_or_else(|e| panic!("temp dir: {e}"));
        let pg = Postgres::start(root.path());
        let redis = Redis::start(root.path());
        let ports: HashMap<&str, u16> =
            ["http", "accounts", "membership", "membership_b", "notices"]
                .into_iter()
                .map(|name| (name, free_port()))
                .collect();
        let config = json!({
            "server_name": SERVER_NAME,
            "registration_shared_secret": SECRET,
            "database": {"url": pg.url(), "max_connections": 8},
            "redis": {"url": redis.url(), "key_prefix": "faults"},
            "listen": {"http": format!("127.0.0.1:{}", ports["http"])},
            "accounts": {"listen": format!("127.0.0.1:{}", ports["accounts"]), "address": format!("http://127.0.0.1:{}", ports["accounts"])},
            "membership": {"listen": format!("127.0.0.1:{}", ports["membership"]), "address": format!("http://127.0.0.1:{}", ports["membership"])},
            "notices": {"listen": format!("127.0.0.1:{}", ports["notices"]), "address": format!("http://127.0.0.1:{}", ports["notices"])},
            "telemetry": {"log_level": "info"},
        });
        let config_path = root.path().join("bailiff.yaml");
        // JSON is YAML.
        std::fs::write(&config_path, config.to_string()).unwrap_or_else(|e| panic!("config: {e}"));

        let mut cluster = Self {
            gateway: GatewayClient::new(format!("http://127.0.0.1:{}", ports["http"]), SECRET),
            membership_b: format!("http://127.0.0.1:{}", ports["membership_b"]),
            processes: Vec::new(),
            root,
            pg,
            redis,
        };
        // Migrations once, so the processes do not start by racing for the lock.
        let status = Command::new(env!("CARGO_BIN_EXE_bailiff"))
            .args(["migrate", "--config"])
            .arg(&config_path)
            .status()
            .unwrap_or_else(|e| panic!("bailiff migrate: {e}"));
        assert!(status.success(), "bailiff migrate failed");
        let membership_b = format!("127.0.0.1:{}", ports["membership_b"]);
        for (name, role, env) in [
            ("accounts", "accounts", vec![]),
            ("membership-a", "membership", vec![]),
            (
                "membership-b",
                "membership",
                vec![("BAILIFF_MEMBERSHIP__LISTEN", membership_b.as_str())],
            ),
            ("notices", "notices", vec![]),
            ("gateway", "gateway", vec![]),
        ] {
            cluster.spawn(name, role, &config_path, &env);
        }
        for process in &cluster.processes {
            process.wait_until_up(&cluster.gateway.http, "/livez").await;
        }
        cluster
    }

    fn spawn(&mut self, name: &str, role: &str, config: &Path, env: &[(&str, &str)]) {
        let env: Vec<(String, String)> = env
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        let process = RoleProcess::spawn(name, role, Some(config), &env, self.root.path());
        self.processes.push(process);
    }

    fn process(&mut self, name: &str) -> &mut RoleProcess {
        self.processes
            .iter_mut()
            .find(|p| p.name == name)
            .unwrap_or_else(|| panic!("no process {name}"))
    }

    /// Every process's log tail, for failure messages.
    fn logs(&self) -> String {
        self.processes
            .iter()
            .map(|p| format!("--- {} ---\n{}", p.name, p.log_tail()))
            .collect::<Vec<_>>()
            .join("\n")
    }

    /// Registers an admin through the shared-secret flow; returns its access token.
    async fn admin_token(&self) -> String {
        self.gateway.register("admin", true).await.1
    }

    async fn database(&self) -> Database {
        Database::connect(&self.pg.url(), 2)
            .await
            .unwrap_or_else(|e| panic!("connect: {e}"))
    }

    /// A room whose creator and `MEMBERS` local users are joined, seeded straight
    /// through membership-svc's store (no accounts, no password hashing).
    async fn seed_room(&self) -> (String, Vec<String>) {
        let store = store::Store::new(self.database().await);
        let room_id = format!("!evacuated:{SERVER_NAME}");
        let creator = format!("@owner:{SERVER_NAME}");
        let mut tx = store
            .begin_write()
            .await
            .unwrap_or_else(|e| panic!("begin: {e}"));
        store::insert_room(
            &mut tx,
            &RoomRow {
                room_id: room_id.clone(),
                creator: creator.clone(),
                created_ts: bailiff_domain::now_ms(),
                room_version: "10".into(),
                is_public: 1,
                server_notice_target: None,
            },
        )
        .await
        .unwrap_or_else(|e| panic!("insert room: {e}"));
        let mut users = vec![creator.clone()];
        users.extend((0..MEMBERS).map(|i| format!("@member{i:05}:{SERVER_NAME}")));
        let mut events = vec![NewEvent::state(
            "m.room.create",
            "",
            &creator,
            json!({"creator": creator}).to_string(),
        )];
        events.extend(users.iter().map(|user| {
            NewEvent::state(
                "m.room.member",
                user,
                user,
                json!({"membership": "join", "displayname": user}).to_string(),
            )
        }));
        store::append_events(&mut tx, &room_id, &events, bailiff_domain::now_ms())
            .await
            .unwrap_or_else(|e| panic!("seed members: {e}"));
        tx.commit().await.unwrap_or_else(|e| panic!("commit: {e}"));
        (room_id, users)
    }

    /// Starts the evacuation asynchronously; returns the job ID.
    async fn evacuate(&self, token: &str, room_id: &str) -> String {
        let (status, body) = self
            .gateway
            .call(
                reqwest::Method::POST,
                &format!("/_dendrite/admin/evacuateRoom/{room_id}?async=true"),
                Some(token),
                Some(json!({})),
            )
            .await;
        assert_eq!(status, StatusCode::ACCEPTED, "evacuate: {body}");
        assert_eq!(body["affected"].as_array().map(Vec::len), Some(MEMBERS + 1));
        body["job_id"].as_str().unwrap_or_default().to_owned()
    }

    async fn job(&self, token: &str, job_id: &str) -> (StatusCode, Value) {
        self.gateway
            .call(
                reqwest::Method::GET,
                &format!("/_dendrite/admin/jobs/{job_id}"),
                Some(token),
                None,
            )
            .await
    }

    /// Waits until some of the job is done but not all of it.
    async fn until_mid_job(&self, token: &str, job_id: &str) {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let (status, job) = self.job(token, job_id).await;
            assert_eq!(status, StatusCode::OK, "{job}");
            let done = job["done"].as_i64().unwrap_or(0);
            assert!(
                job["status"] != "complete",
                "the job finished before the fault: {job}"
            );
            if done > 0 {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "the job did not start: {job}\n{}",
                self.logs()
            );
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    /// Polls the job until it is finished; returns it.
    async fn finished_job(&self, token: &str, job_id: &str) -> Value {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let (status, job) = self.job(token, job_id).await;
            if status == StatusCode::OK
                && (job["status"] == "complete" || job["status"] == "failed")
            {
                return job;
            }
            assert!(
                Instant::now() < deadline,
                "the job did not finish: {status} {job}\n{}",
                self.logs()
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Asserts the job completed with every user counted once and that every user has
    /// exactly one leave event, sent by themselves.
    async fn assert_exactly_once(
        &self,
        token: &str,
        job_id: &str,
        room_id: &str,
        users: &[String],
    ) {
        let job = self.finished_job(token, job_id).await;
        let total = i64::try_from(users.len()).expect("count fits");
        assert_eq!(job["status"], "complete", "{job}");
        assert_eq!(
            (
                job["total"].as_i64(),
                job["done"].as_i64(),
                job["failed"].as_i64()
            ),
            (Some(total), Some(total), Some(0)),
            "{job}"
        );
        let db = self.database().await;
        let rows: Vec<(String, String, String)> = sqlx::query_as(
            "SELECT state_key, sender, content FROM membership_events \
             WHERE room_id = $1 AND type = 'm.room.member'",
        )
        .bind(room_id)
        .fetch_all(&db.pool)
        .await
        .unwrap_or_else(|e| panic!("member events: {e}"));
        let mut leaves: HashMap<String, usize> = HashMap::new();
        for (user, sender, content) in rows {
            let content: Value = serde_json::from_str(&content).unwrap_or(Value::Null);
            if content["membership"] == "leave" {
                assert_eq!(sender, user, "a leave not sent by the member");
                assert_eq!(content["displayname"], user.as_str(), "prior content lost");
                *leaves.entry(user).or_default() += 1;
            }
        }
        let missing: Vec<&String> = users
            .iter()
            .filter(|u| !leaves.contains_key(*u))
            .take(5)
            .collect();
        assert!(
            missing.is_empty(),
            "members without a leave, e.g. {missing:?}"
        );
        let doubled: Vec<(&String, &usize)> =
            leaves.iter().filter(|(_, n)| **n != 1).take(5).collect();
        assert!(
            doubled.is_empty(),
            "members who left more than once, e.g. {doubled:?}"
        );
        assert_eq!(leaves.len(), users.len());
        let joined: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM membership_members WHERE room_id = $1 AND membership = 'join'",
        )
        .bind(room_id)
        .fetch_one(&db.pool)
        .await
        .unwrap_or_else(|e| panic!("joined count: {e}"));
        assert_eq!(joined, 0);
    }
}

async fn bounded(test: impl std::future::Future<Output = ()>) {
    let _turn = ONE_AT_A_TIME.lock().await;
    tokio::time::timeout(TEST_BUDGET, test)
        .await
        .unwrap_or_else(|_| panic!("the fault test took longer than {TEST_BUDGET:?}"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_membership_process_loses_nothing() {
    bounded(async {
        let mut cluster = Cluster::start().await;
        let token = cluster.admin_token().await;
        let (room_id, users) = cluster.seed_room().await;
        let job_id = cluster.evacuate(&token, &room_id).await;
        cluster.until_mid_job(&token, &job_id).await;
        // SIGKILL: its pending entries are reclaimed by the other process (XAUTOCLAIM).
        cluster.process("membership-b").kill();
        cluster
            .assert_exactly_once(&token, &job_id, &room_id, &users)
            .await;
        // The surviving process counted the chunks it applied …
        let metrics_url = format!(
            "http://127.0.0.1:{}/metrics",
            cluster.process("membership-a").internal_port
        );
        let metrics = cluster
            .gateway
            .http
            .get(&metrics_url)
            .send()
            .await
            .unwrap_or_else(|e| panic!("metrics: {e}"))
            .text()
            .await
            .unwrap_or_default();
        // … including entries the killed process held, redelivered to it.
        assert!(
            metrics.contains("bailiff_evacuation_chunks_total{kind=\"retried\"}"),
            "{metrics}"
        );
        assert!(
            metrics.contains("bailiff_evacuation_chunks_total{kind=\"done\"}"),
            "{metrics}"
        );
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_redis_restart_mid_job_loses_nothing() {
    bounded(async {
        let mut cluster = Cluster::start().await;
        let token = cluster.admin_token().await;
        let (room_id, users) = cluster.seed_room().await;
        let job_id = cluster.evacuate(&token, &room_id).await;
        cluster.until_mid_job(&token, &job_id).await;
        // Redis comes back empty: the consumer group is recreated and the job's pending
        // chunks are queued again from the database.
        cluster.redis.kill();
        tokio::time::sleep(Duration::from_millis(500)).await;
        cluster.redis.resume();
        cluster
            .assert_exactly_once(&token, &job_id, &room_id, &users)
            .await;
        let reset_reported = ["membership-a", "membership-b"].into_iter().any(|name| {
            cluster
                .process(name)
                .log_text()
                .contains("re-queueing unfinished jobs")
        });
        assert!(
            reset_reported,
            "no queue reset was reported:\n{}",
            cluster.logs()
        );
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_database_outage_mid_job_answers_503_and_loses_nothing() {
    bounded(async {
        let cluster = Cluster::start().await;
        let token = cluster.admin_token().await;
        let (room_id, users) = cluster.seed_room().await;
        let job_id = cluster.evacuate(&token, &room_id).await;
        cluster.until_mid_job(&token, &job_id).await;
        cluster.pg.pause();
        // Meanwhile requests answer 503 M_UNAVAILABLE, never anything else.
        let down_until = Instant::now() + Duration::from_secs(4);
        let mut unavailable = 0;
        while Instant::now() < down_until {
            let (status, body) = cluster.job(&token, &job_id).await;
            assert_eq!(
                status,
                StatusCode::SERVICE_UNAVAILABLE,
                "while the database is down: {body}"
            );
            assert_eq!(body["errcode"], "M_UNAVAILABLE", "{body}");
            assert!(body["error"].is_string(), "{body}");
            unavailable += 1;
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        assert!(unavailable > 0);
        cluster.pg.resume();
        cluster
            .assert_exactly_once(&token, &job_id, &room_id, &users)
            .await;
    })
    .await;
}

/// SIGTERM to a membership worker in the middle of a job and of a burst of gRPC calls
/// to it: every call it accepted is answered (later ones are refused, never cut), it
/// exits cleanly within the grace period, and the other worker finishes the job with
/// every member leaving exactly once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sigterm_to_a_worker_mid_job_drains_and_hands_over() {
    use bailiff_proto::membership::GetJobRequest;
    use bailiff_proto::membership::evacuations_client::EvacuationsClient;

    bounded(async {
        let mut cluster = Cluster::start().await;
        let token = cluster.admin_token().await;
        let (room_id, users) = cluster.seed_room().await;
        let job_id = cluster.evacuate(&token, &room_id).await;
        cluster.until_mid_job(&token, &job_id).await;

        // The gateway's own channel type, so the test sees what the gateway sees: calls
        // the draining worker refused unread are resent, and fail as Unavailable only
        // once nothing listens any more.
        let channel = bailiff_proto::transport::transport(
            bailiff_proto::channel::connect_lazy(&cluster.membership_b)
                .unwrap_or_else(|e| panic!("endpoint: {e}")),
        );
        let mut burst = Vec::new();
        for i in 0..300u64 {
            let mut client = EvacuationsClient::new(channel.clone());
            let job_id = job_id.clone();
            burst.push(tokio::spawn(async move {
                tokio::time::sleep(Duration::from_millis(i)).await;
                client.get_job(GetJobRequest { job_id }).await
            }));
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
        let status = cluster
            .process("membership-b")
            .terminate(Duration::from_secs(20))
            .await;
        assert!(status.success(), "membership-b exited with {status}");

        let mut answered = 0;
        for call in burst {
            match call.await.unwrap_or_else(|e| panic!("task: {e}")) {
                Ok(_) => answered += 1,
                // Refused after the listener closed (Unavailable), or never sent because
                // the server's GOAWAY closed the connection first (Cancelled); a stream
                // the server accepted and then cut would surface as another code
                // (Internal or Unknown).
                Err(status) => assert!(
                    matches!(
                        status.code(),
                        tonic::Code::Unavailable | tonic::Code::Cancelled
                    ),
                    "a call failed mid-flight: {status:?}"
                ),
            }
        }
        assert!(answered > 0, "no call was answered before shutdown");
        cluster
            .assert_exactly_once(&token, &job_id, &room_id, &users)
            .await;
    })
    .await;
}
