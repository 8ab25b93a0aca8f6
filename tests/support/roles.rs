//! The real `bailiff` binary as separate role processes, for the tests that need to
//! signal or kill one of them (`tests/faults.rs`, `tests/operations`): spawning a role
//! with its log in a file, waiting until it is ready, SIGTERM and SIGKILL, and talking
//! to the gateway over HTTP. Included by both test crates with `#[path]`.

#![allow(dead_code)] // each test crate uses its own part of it

use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus};
use std::time::{Duration, Instant};

use reqwest::StatusCode;
use serde_json::{Value, json};

/// A free loopback port (bound, then released).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map_or_else(|e| panic!("no free port: {e}"), |a| a.port())
}

/// One `bailiff serve --role …` child, SIGKILLed on drop.
pub struct RoleProcess {
    pub name: String,
    pub internal_port: u16,
    pub log: PathBuf,
    child: Child,
}

impl RoleProcess {
    /// Starts `role` named `name`, configured by `config` (a YAML file) and/or `env`
    /// (`BAILIFF_*` variables, which win), its stdout and stderr in `<log_dir>/<name>.log`.
    pub fn spawn(
        name: &str,
        role: &str,
        config: Option<&Path>,
        env: &[(String, String)],
        log_dir: &Path,
    ) -> Self {
        let internal_port = free_port();
        let log = log_dir.join(format!("{name}.log"));
        let file = File::create(&log).unwrap_or_else(|e| panic!("log of {name}: {e}"));
        let mut command = Command::new(env!("CARGO_BIN_EXE_bailiff"));
        command.args(["serve", "--role", role]);
        if let Some(config) = config {
            command.arg("--config").arg(config);
        }
        command
            .env(
                "BAILIFF_LISTEN__INTERNAL",
                format!("127.0.0.1:{internal_port}"),
            )
            .envs(env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .stdout(file.try_clone().unwrap_or_else(|e| panic!("log: {e}")))
            .stderr(file);
        let child = command
            .spawn()
            .unwrap_or_else(|e| panic!("spawning {name}: {e}"));
        Self {
            name: name.to_owned(),
            internal_port,
            log,
            child,
        }
    }

    /// `http://127.0.0.1:<internal port><path>`: metrics and probes.
    pub fn internal_url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.internal_port)
    }

    /// Polls `probe` (`/livez` or `/readyz`) until it answers 200, for up to 30 s.
    pub async fn wait_until_up(&self, http: &reqwest::Client, probe: &str) {
        let url = self.internal_url(probe);
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if matches!(http.get(&url).send().await, Ok(r) if r.status().is_success()) {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "{} did not answer {probe}; log:\n{}",
                self.name,
                self.log_tail()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Sends SIGTERM.
    pub fn signal_term(&self) {
        let status = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .unwrap_or_else(|e| panic!("kill: {e}"));
        assert!(status.success(), "kill -TERM {} failed", self.name);
    }

    /// Waits up to `limit` for the process to exit.
    pub async fn wait_exit(&mut self, limit: Duration) -> ExitStatus {
        let deadline = Instant::now() + limit;
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                return status;
            }
            assert!(
                Instant::now() < deadline,
                "{} did not exit in {limit:?}; log:\n{}",
                self.name,
                self.log_tail()
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// SIGTERM, then waits up to `limit` for a clean exit.
    pub async fn terminate(&mut self, limit: Duration) -> ExitStatus {
        self.signal_term();
        self.wait_exit(limit).await
    }

    /// The child's process ID (job-queue consumer names carry it).
    #[allow(dead_code)] // Not every test binary including this file asks.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// SIGKILL, and reaps it.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// The whole log so far.
    pub fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// The last 30 lines of the log, for failure messages.
    pub fn log_tail(&self) -> String {
        let text = self.log_text();
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(30)..].join("\n")
    }
}

impl Drop for RoleProcess {
    fn drop(&mut self) {
        self.kill();
    }
}

/// HTTP to the gateway of a test deployment.
#[derive(Clone)]
pub struct GatewayClient {
    pub http: reqwest::Client,
    pub base_url: String,
    secret: String,
}

impl GatewayClient {
    /// A client for the gateway at `base_url`, registering with `secret`.
    pub fn new(base_url: String, secret: &str) -> Self {
        Self {
            http: reqwest::Client::builder()
                .no_proxy()
                .timeout(Duration::from_secs(60))
                .build()
                .unwrap_or_else(|e| panic!("client: {e}")),
            base_url,
            secret: secret.to_owned(),
        }
    }

    /// A JSON request, with a token when given; returns (status, body or `null`).
    pub async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let mut request = self
            .http
            .request(method, format!("{}{path}", self.base_url));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request
            .send()
            .await
            .unwrap_or_else(|e| panic!("{path}: {e}"));
        let status = response.status();
        let bytes = response.bytes().await.unwrap_or_default();
        (
            status,
            serde_json::from_slice(&bytes).unwrap_or(Value::Null),
        )
    }

    /// Registers a user through the shared-secret flow; returns (user ID, token).
    pub async fn register(&self, localpart: &str, admin: bool) -> (String, String) {
        const PATH: &str = "/_synapse/admin/v1/register";
        let (_, nonce) = self.call(reqwest::Method::GET, PATH, None, None).await;
        let nonce = nonce["nonce"]
            .as_str()
            .unwrap_or_else(|| panic!("nonce: {nonce}"))
            .to_owned();
        let password = "correct-horse-battery";
        let mac = gateway::registration_mac(&self.secret, &nonce, localpart, password, admin, None);
        let body = json!({"nonce": nonce, "username": localpart, "password": password, "admin": admin, "mac": mac});
        let (status, body) = self
            .call(reqwest::Method::POST, PATH, None, Some(body))
            .await;
        assert_eq!(status, StatusCode::OK, "register {localpart}: {body}");
        let text = |key: &str| body[key].as_str().unwrap_or_default().to_owned();
        (text("user_id"), text("access_token"))
    }
}
