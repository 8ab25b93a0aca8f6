//! The distributed mode as real processes: each role is its own `bailiff serve --role`
//! child on PostgreSQL and Redis, so tests can send signals to one of them.

use std::collections::BTreeMap;
use std::process::Stdio;
use std::time::Duration;

use bailiff_database::testing::TestDatabase;
use serde_json::{Value, json};
use tokio::process::{Child, Command};

/// A free loopback port (bound, then released).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

/// One child process and its internal listener.
pub struct Process {
    pub child: Child,
    pub internal_port: u16,
}

/// Four roles (and optionally a second membership worker) as separate processes.
pub struct Cluster {
    pub processes: BTreeMap<String, Process>,
    pub base_url: String,
    pub secret: String,
    pub client: reqwest::Client,
    env: Vec<(String, String)>,
    _database: TestDatabase,
}

pub const SERVER_NAME: &str = "ops.test";

impl Cluster {
    /// Starts accounts, `membership_workers` membership processes, notices and the
    /// gateway, with `extra_env` added to every process.
    pub async fn start(membership_workers: usize, extra_env: &[(&str, String)]) -> Cluster {
        let database = TestDatabase::postgres().await;
        let secret = format!("secret-{}", uuid::Uuid::new_v4().simple());
        let prefix = format!("ops-{}", uuid::Uuid::new_v4().simple());
        let redis_url = std::env::var("BAILIFF_TEST_REDIS_URL")
            .unwrap_or_else(|_| "redis://127.0.0.1:6379".into());
        let (accounts, membership, notices, http) =
            (free_port(), free_port(), free_port(), free_port());
        let mut env: Vec<(String, String)> = vec![
            ("BAILIFF_SERVER_NAME".into(), SERVER_NAME.into()),
            ("BAILIFF_REGISTRATION_SHARED_SECRET".into(), secret.clone()),
            ("BAILIFF_DATABASE__URL".into(), database.url.clone()),
            ("BAILIFF_DATABASE__MAX_CONNECTIONS".into(), "4".into()),
            ("BAILIFF_REDIS__URL".into(), redis_url),
            ("BAILIFF_REDIS__KEY_PREFIX".into(), prefix),
            ("BAILIFF_LISTEN__HTTP".into(), format!("127.0.0.1:{http}")),
            (
                "BAILIFF_ACCOUNTS__ADDRESS".into(),
                format!("http://127.0.0.1:{accounts}"),
            ),
            (
                "BAILIFF_ACCOUNTS__LISTEN".into(),
                format!("127.0.0.1:{accounts}"),
            ),
            (
                "BAILIFF_MEMBERSHIP__ADDRESS".into(),
                format!("http://127.0.0.1:{membership}"),
            ),
            (
                "BAILIFF_NOTICES__ADDRESS".into(),
                format!("http://127.0.0.1:{notices}"),
            ),
            (
                "BAILIFF_NOTICES__LISTEN".into(),
                format!("127.0.0.1:{notices}"),
            ),
            ("BAILIFF_TELEMETRY__LOG_LEVEL".into(), "warn".into()),
            ("BAILIFF_SHUTDOWN__GRACE_PERIOD_MS".into(), "10000".into()),
        ];
        env.extend(extra_env.iter().map(|(k, v)| ((*k).to_owned(), v.clone())));
        let mut cluster = Cluster {
            processes: BTreeMap::new(),
            base_url: format!("http://127.0.0.1:{http}"),
            secret,
            client: reqwest::Client::new(),
            env,
            _database: database,
        };
        // Accounts first: it creates its schema; membership workers share one port each.
        cluster.spawn("accounts", "accounts", &[]).await;
        for worker in 0..membership_workers.max(1) {
            // The first worker listens on the advertised address; others on their own.
            let port = if worker == 0 { membership } else { free_port() };
            let name = format!("membership-{worker}");
            cluster
                .spawn(
                    &name,
                    "membership",
                    &[("BAILIFF_MEMBERSHIP__LISTEN", format!("127.0.0.1:{port}"))],
                )
                .await;
        }
        cluster.spawn("notices", "notices", &[]).await;
        cluster.spawn("gateway", "gateway", &[]).await;
        cluster
    }

    /// Starts one role process and waits until it reports ready.
    pub async fn spawn(&mut self, name: &str, role: &str, env: &[(&str, String)]) {
        let internal_port = free_port();
        let mut command = Command::new(env!("CARGO_BIN_EXE_bailiff"));
        command
            .args(["serve", "--role", role])
            .envs(self.env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .env(
                "BAILIFF_LISTEN__INTERNAL",
                format!("127.0.0.1:{internal_port}"),
            )
            .envs(env.iter().map(|(k, v)| (*k, v.as_str())))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .kill_on_drop(true);
        let child = command.spawn().expect("spawn bailiff");
        self.processes.insert(
            name.to_owned(),
            Process {
                child,
                internal_port,
            },
        );
        self.wait_ready(name).await;
    }

    /// Polls the process's `/readyz` for up to 30 s.
    pub async fn wait_ready(&self, name: &str) {
        let port = self.processes[name].internal_port;
        let url = format!("http://127.0.0.1:{port}/readyz");
        for _ in 0..300 {
            if let Ok(response) = self.client.get(&url).send().await
                && response.status().is_success()
            {
                return;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("{name} did not become ready");
    }

    /// Sends SIGTERM to one process.
    pub async fn terminate(&self, name: &str) {
        let pid = self.processes[name].child.id().expect("process running");
        let status = Command::new("kill")
            .args(["-TERM", &pid.to_string()])
            .status()
            .await
            .expect("kill");
        assert!(status.success());
    }

    /// Waits for one process to exit, up to `limit`.
    pub async fn wait_exit(&mut self, name: &str, limit: Duration) -> std::process::ExitStatus {
        let process = self.processes.get_mut(name).expect("known process");
        tokio::time::timeout(limit, process.child.wait())
            .await
            .expect("exits in time")
            .expect("wait")
    }

    /// Registers a user through the shared-secret flow; returns (user_id, token).
    pub async fn register(&self, localpart: &str, admin: bool) -> (String, String) {
        let url = format!("{}/_synapse/admin/v1/register", self.base_url);
        let nonce: Value = self
            .client
            .get(&url)
            .send()
            .await
            .expect("nonce")
            .json()
            .await
            .expect("json");
        let nonce = nonce["nonce"].as_str().expect("nonce string").to_owned();
        let password = "correct-horse-battery";
        let mac = gateway::registration_mac(&self.secret, &nonce, localpart, password, admin, None);
        let body: Value = self
            .client
            .post(&url)
            .json(&json!({"nonce": nonce, "username": localpart, "password": password, "admin": admin, "mac": mac}))
            .send()
            .await
            .expect("register")
            .json()
            .await
            .expect("json");
        (
            body["user_id"].as_str().expect("user_id").to_owned(),
            body["access_token"].as_str().expect("token").to_owned(),
        )
    }

    /// An authenticated JSON request; returns (status, body).
    pub async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        token: &str,
        body: Option<Value>,
    ) -> (u16, Value) {
        let mut request = self
            .client
            .request(method, format!("{}{path}", self.base_url))
            .bearer_auth(token);
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.expect("request");
        let status = response.status().as_u16();
        (status, response.json().await.unwrap_or(Value::Null))
    }
}
