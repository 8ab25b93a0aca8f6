//! Starts the whole system for a test and talks to it over HTTP, as clients do.
//!
//! `spawn_app(Mode::Embedded)` runs every role in one `bailiff::start` (SQLite, no
//! Redis). `spawn_app(Mode::Distributed)` runs each role in its own `bailiff::start`
//! with PostgreSQL and Redis, wired over real gRPC on loopback.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use bailiff::{Role, Running};
use bailiff_config::Config;
use bailiff_database::testing::TestDatabase;
use reqwest::{Method, RequestBuilder, StatusCode};
use serde_json::{Value, json};

/// How the system under test is laid out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Embedded,
    Distributed,
}

/// The server name every test deployment uses.
pub const SERVER_NAME: &str = "bailiff.test";

/// A running deployment. Cheap to clone; [`TestApp::stop`] stops it.
#[derive(Clone)]
pub struct TestApp {
    pub mode: Mode,
    /// `http://127.0.0.1:<port>`, no trailing slash.
    pub base_url: String,
    /// The gateway process's internal listener (`/livez`, `/readyz`, `/metrics`),
    /// `http://127.0.0.1:<port>`.
    pub internal_url: String,
    pub client: reqwest::Client,
    pub config: Arc<Config>,
    /// The registration shared secret, when configured.
    pub secret: Option<String>,
    running: Arc<Mutex<Vec<Running>>>,
    _database: Arc<TestDatabase>,
}

/// A registered user with a logged-in device.
#[derive(Debug, Clone)]
pub struct TestUser {
    pub user_id: String,
    pub localpart: String,
    pub access_token: String,
    pub device_id: String,
    pub password: String,
}

/// A decoded response.
pub type Reply = (StatusCode, Value);

/// Starts a deployment with the default test configuration.
pub async fn spawn_app(mode: Mode) -> TestApp {
    spawn_app_with(mode, |_| {}).await
}

/// Starts a deployment after `customize` adjusted the configuration.
pub async fn spawn_app_with(mode: Mode, customize: impl FnOnce(&mut Config)) -> TestApp {
    let database = match mode {
        Mode::Embedded => TestDatabase::sqlite(),
        Mode::Distributed => TestDatabase::postgres().await,
    };
    let local = |port: u16| std::net::SocketAddr::from(([127, 0, 0, 1], port));
    let mut config = Config {
        server_name: SERVER_NAME.into(),
        registration_shared_secret: Some(format!("secret-{}", uuid::Uuid::new_v4().simple())),
        ..Config::default()
    };
    config.database.url = database.url.clone();
    config.database.max_connections = Some(4);
    config.listen.http = local(0);
    config.listen.internal = Some(local(0));
    config.auth.client_ip_flush = Duration::from_millis(100);
    config.telemetry.log_level = "warn".into();
    for role in [
        &mut config.accounts,
        &mut config.membership,
        &mut config.notices,
    ] {
        role.listen = local(0);
    }
    if mode == Mode::Distributed {
        config.redis.url = Some(
            std::env::var("BAILIFF_TEST_REDIS_URL")
                .unwrap_or_else(|_| "redis://127.0.0.1:6379".into()),
        );
        config.redis.key_prefix = format!("bailiff-test-{}", uuid::Uuid::new_v4().simple());
    }
    customize(&mut config);

    let mut running = Vec::new();
    let (http_addr, internal_addr) = match mode {
        Mode::Embedded => {
            let all = bailiff::start(config.clone(), &[])
                .await
                .unwrap_or_else(|e| panic!("starting the embedded system: {e:#}"));
            let addr = all.http_addr.unwrap_or_else(|| panic!("no HTTP listener"));
            let internal = all.internal_addr;
            running.push(all);
            (addr, internal)
        }
        Mode::Distributed => {
            for role in [Role::Accounts, Role::Membership, Role::Notices] {
                let started = bailiff::start(config.clone(), &[role])
                    .await
                    .unwrap_or_else(|e| panic!("starting {}: {e:#}", role.name()));
                let addr = *started
                    .grpc_addrs
                    .get(&role)
                    .unwrap_or_else(|| panic!("{} has no gRPC address", role.name()));
                let address = format!("http://{addr}");
                match role {
                    Role::Accounts => config.accounts.address = address,
                    Role::Membership => config.membership.address = address,
                    Role::Notices => config.notices.address = address,
                    Role::Gateway => {}
                }
                running.push(started);
            }
            let gateway = bailiff::start(config.clone(), &[Role::Gateway])
                .await
                .unwrap_or_else(|e| panic!("starting the gateway: {e:#}"));
            let addr = gateway
                .http_addr
                .unwrap_or_else(|| panic!("no HTTP listener"));
            let internal = gateway.internal_addr;
            running.push(gateway);
            (addr, internal)
        }
    };
    let internal_addr = internal_addr.unwrap_or_else(|| panic!("no internal listener"));
    let client = reqwest::Client::builder()
        .no_proxy()
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap_or_else(|e| panic!("building the HTTP client: {e}"));
    TestApp {
        mode,
        base_url: format!("http://{http_addr}"),
        internal_url: format!("http://{internal_addr}"),
        client,
        secret: config.registration_shared_secret.clone(),
        config: Arc::new(config),
        running: Arc::new(Mutex::new(running)),
        _database: Arc::new(database),
    }
}

impl TestApp {
    /// Stops every role (gateway first).
    pub async fn stop(&self) {
        let running: Vec<Running> = {
            let mut guard = self
                .running
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            guard.drain(..).collect()
        };
        for started in running.into_iter().rev() {
            if let Err(error) = started.stop().await {
                panic!("a role stopped with an error: {error:#}");
            }
        }
    }

    /// Distributed mode only: starts another gateway replica on the same services, bus
    /// and database; returns its base URL. It stops with the deployment.
    pub async fn spawn_gateway_replica(&self) -> String {
        assert_eq!(
            self.mode,
            Mode::Distributed,
            "replicas need the distributed mode"
        );
        let replica = bailiff::start((*self.config).clone(), &[Role::Gateway])
            .await
            .unwrap_or_else(|e| panic!("starting a gateway replica: {e:#}"));
        let addr = replica
            .http_addr
            .unwrap_or_else(|| panic!("no HTTP listener"));
        self.running
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .insert(0, replica);
        format!("http://{addr}")
    }

    /// Distributed mode only: stops the process running `role`.
    pub async fn stop_role(&self, role: Role) {
        assert_eq!(
            self.mode,
            Mode::Distributed,
            "roles are separate only when distributed"
        );
        let stopped = {
            let mut guard = self
                .running
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            let index = guard
                .iter()
                .position(|r| r.grpc_addrs.contains_key(&role))
                .unwrap_or_else(|| panic!("{} is not running", role.name()));
            guard.remove(index)
        };
        let _ = stopped.stop().await;
    }

    /// membership-svc's store over the deployment's database, for what HTTP cannot
    /// seed or show (rooms of thousands, rows left after a purge).
    pub async fn membership_store(&self) -> membership_svc::store::Store {
        let db = bailiff_database::Database::connect(&self.config.database.url, 2)
            .await
            .unwrap_or_else(|e| panic!("connect to the test database: {e}"));
        membership_svc::store::Store::new(db)
    }

    /// Distributed mode only: a gRPC client to accounts-svc, for set-up that has no
    /// HTTP endpoint (e.g. promoting a user to admin).
    pub async fn accounts_grpc(
        &self,
    ) -> bailiff_proto::accounts::accounts_client::AccountsClient<tonic::transport::Channel> {
        assert_eq!(
            self.mode,
            Mode::Distributed,
            "accounts-svc has no address when embedded"
        );
        bailiff_proto::accounts::accounts_client::AccountsClient::connect(
            self.config.accounts.address.clone(),
        )
        .await
        .unwrap_or_else(|e| panic!("connecting to accounts-svc: {e}"))
    }

    /// The full URL of `path` (which starts with `/`).
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base_url)
    }

    /// A request to build on (custom headers, raw bodies).
    pub fn request(&self, method: &str, path: &str) -> RequestBuilder {
        let method = Method::from_bytes(method.as_bytes())
            .unwrap_or_else(|e| panic!("bad method {method}: {e}"));
        self.client.request(method, self.url(path))
    }

    /// Sends and decodes a JSON response (`Value::Null` when the body is not JSON).
    pub async fn send(&self, request: RequestBuilder) -> Reply {
        let response = request
            .send()
            .await
            .unwrap_or_else(|e| panic!("request failed: {e:?}"));
        let status = response.status();
        let bytes = response.bytes().await.unwrap_or_default();
        (
            status,
            serde_json::from_slice(&bytes).unwrap_or(Value::Null),
        )
    }

    /// Any method, optional bearer token, optional JSON body.
    pub async fn call(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<&Value>,
    ) -> Reply {
        let mut request = self.request(method, path);
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        if let Some(body) = body {
            request = request.json(body);
        }
        self.send(request).await
    }

    pub async fn get(&self, path: &str, token: Option<&str>) -> Reply {
        self.call("GET", path, token, None).await
    }

    pub async fn post(&self, path: &str, token: Option<&str>, body: &Value) -> Reply {
        self.call("POST", path, token, Some(body)).await
    }

    /// A fresh registration nonce.
    pub async fn nonce(&self) -> String {
        let (status, body) = self.get("/_synapse/admin/v1/register", None).await;
        assert_eq!(status, StatusCode::OK, "nonce: {body}");
        body["nonce"]
            .as_str()
            .unwrap_or_else(|| panic!("no nonce in {body}"))
            .to_owned()
    }

    /// The MAC for a registration with this deployment's secret.
    pub fn mac(
        &self,
        nonce: &str,
        username: &str,
        password: &str,
        admin: bool,
        user_type: Option<&str>,
    ) -> String {
        let secret = self
            .secret
            .as_deref()
            .unwrap_or_else(|| panic!("no secret configured"));
        gateway::registration_mac(secret, nonce, username, password, admin, user_type)
    }

    /// Registers (and logs in) a user through the shared-secret HTTP flow.
    pub async fn register_user(&self, localpart: &str, admin: bool) -> TestUser {
        let password = format!("pw-{localpart}-{}", uuid::Uuid::new_v4().simple());
        let nonce = self.nonce().await;
        let mac = self.mac(&nonce, localpart, &password, admin, None);
        let (status, body) = self
            .post(
                "/_synapse/admin/v1/register",
                None,
                &json!({
                    "nonce": nonce,
                    "username": localpart,
                    "password": password,
                    "admin": admin,
                    "mac": mac,
                }),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "registering {localpart}: {body}");
        let text = |key: &str| {
            body[key]
                .as_str()
                .unwrap_or_else(|| panic!("no {key} in {body}"))
                .to_owned()
        };
        TestUser {
            user_id: text("user_id"),
            localpart: localpart.to_owned(),
            access_token: text("access_token"),
            device_id: text("device_id"),
            password,
        }
    }

    /// Logs in with a password; returns the raw reply.
    pub async fn login(&self, user: &str, password: &str) -> Reply {
        self.post(
            "/_matrix/client/v3/login",
            None,
            &json!({
                "type": "m.login.password",
                "identifier": {"type": "m.id.user", "user": user},
                "password": password,
            }),
        )
        .await
    }

    /// `@<localpart>:<server_name>`.
    pub fn user_id(&self, localpart: &str) -> String {
        format!("@{localpart}:{}", self.config.server_name)
    }
}

/// Asserts a Matrix error reply: status, errcode and, when given, the exact text.
#[track_caller]
pub fn assert_error(reply: &Reply, status: u16, errcode: &str, error: Option<&str>) {
    let (got_status, body) = reply;
    assert_eq!(got_status.as_u16(), status, "status of {body}");
    assert_eq!(body["errcode"], errcode, "errcode of {body}");
    assert!(body["error"].is_string(), "error text missing in {body}");
    if let Some(error) = error {
        assert_eq!(body["error"], error, "error text of {body}");
    }
}

/// Asserts a successful reply and returns its body.
#[track_caller]
pub fn assert_ok(reply: Reply) -> Value {
    let (status, body) = reply;
    assert_eq!(status, StatusCode::OK, "expected 200, got {body}");
    body
}

/// Defines a test run against both deployment modes:
/// `e2e!(name, |app: TestApp| async move { … });`
/// `e2e!(name, config = |c: &mut Config| { … }, |app: TestApp| async move { … });` first
/// adjusts the configuration of both deployments.
#[macro_export]
macro_rules! e2e {
    ($name:ident, config = $config:expr, $body:expr) => {
        mod $name {
            #[allow(unused_imports)]
            use super::*;

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn embedded() {
                let app =
                    $crate::harness::spawn_app_with($crate::harness::Mode::Embedded, $config).await;
                ($body)(app.clone()).await;
                app.stop().await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn distributed() {
                let app =
                    $crate::harness::spawn_app_with($crate::harness::Mode::Distributed, $config)
                        .await;
                ($body)(app.clone()).await;
                app.stop().await;
            }
        }
    };
    ($name:ident, $body:expr) => {
        mod $name {
            #[allow(unused_imports)]
            use super::*;

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn embedded() {
                let app = $crate::harness::spawn_app($crate::harness::Mode::Embedded).await;
                ($body)(app.clone()).await;
                app.stop().await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn distributed() {
                let app = $crate::harness::spawn_app($crate::harness::Mode::Distributed).await;
                ($body)(app.clone()).await;
                app.stop().await;
            }
        }
    };
}

/// The Python interpreter with the third-party clients (matrix-nio, Synapse's
/// `register_new_matrix_user`, synadm) installed by `scripts/python-env.sh`, or
/// `$BAILIFF_PYTHON`. Tests that need it fail, never skip, when it is missing.
pub fn python() -> std::path::PathBuf {
    let path = std::env::var_os("BAILIFF_PYTHON").map_or_else(
        || std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/pyenv/bin/python"),
        std::path::PathBuf::from,
    );
    assert!(
        path.exists(),
        "Python with matrix-nio, Synapse and synadm is required for these tests but {} does \
         not exist: run scripts/python-env.sh (or set BAILIFF_PYTHON)",
        path.display()
    );
    path
}

/// `tests/e2e/clients/<name>`, as an argument for [`run_python`].
pub fn client_script(name: &str) -> String {
    std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/e2e/clients")
        .join(name)
        .to_string_lossy()
        .into_owned()
}

/// Runs [`python`] with `args`, bypassing any proxy for the loopback gateway; panics with
/// its output unless it exits successfully. Returns its standard output.
pub async fn run_python(args: &[&str]) -> String {
    let output = tokio::process::Command::new(python())
        .args(args)
        .env("NO_PROXY", "*")
        .env_remove("HTTP_PROXY")
        .env_remove("http_proxy")
        .output()
        .await
        .unwrap_or_else(|e| panic!("running python {args:?}: {e}"));
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "python {args:?} failed ({}):\nstdout:\n{stdout}\nstderr:\n{stderr}",
        output.status
    );
    stdout
}
