//! The distributed mode as real processes: each role is its own `bailiff serve --role`
//! child on the shared PostgreSQL (a fresh database) and Redis (a fresh key prefix), so
//! tests can send signals to one of them.

use std::collections::BTreeMap;
use std::time::Duration;

use crate::roles::{GatewayClient, RoleProcess, free_port};
use bailiff_database::testing::TestDatabase;

/// Four roles (and optionally a second membership worker) as separate processes.
pub struct Cluster {
    pub processes: BTreeMap<String, RoleProcess>,
    pub gateway: GatewayClient,
    env: Vec<(String, String)>,
    logs: tempfile::TempDir,
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
        let mut env: Vec<(String, String)> = [
            ("BAILIFF_SERVER_NAME", SERVER_NAME.to_owned()),
            ("BAILIFF_REGISTRATION_SHARED_SECRET", secret.clone()),
            ("BAILIFF_DATABASE__URL", database.url.clone()),
            ("BAILIFF_DATABASE__MAX_CONNECTIONS", "4".into()),
            ("BAILIFF_REDIS__URL", redis_url),
            ("BAILIFF_REDIS__KEY_PREFIX", prefix),
            ("BAILIFF_LISTEN__HTTP", format!("127.0.0.1:{http}")),
            (
                "BAILIFF_ACCOUNTS__ADDRESS",
                format!("http://127.0.0.1:{accounts}"),
            ),
            ("BAILIFF_ACCOUNTS__LISTEN", format!("127.0.0.1:{accounts}")),
            (
                "BAILIFF_MEMBERSHIP__ADDRESS",
                format!("http://127.0.0.1:{membership}"),
            ),
            (
                "BAILIFF_NOTICES__ADDRESS",
                format!("http://127.0.0.1:{notices}"),
            ),
            ("BAILIFF_NOTICES__LISTEN", format!("127.0.0.1:{notices}")),
            ("BAILIFF_TELEMETRY__LOG_LEVEL", "warn".into()),
            ("BAILIFF_SHUTDOWN__GRACE_PERIOD_MS", "10000".into()),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .collect();
        env.extend(extra_env.iter().map(|(k, v)| ((*k).to_owned(), v.clone())));
        let mut cluster = Cluster {
            processes: BTreeMap::new(),
            gateway: GatewayClient::new(format!("http://127.0.0.1:{http}"), &secret),
            env,
            logs: tempfile::tempdir().expect("log dir"),
            _database: database,
        };
        // Accounts first: it creates its schema; membership workers share one port each.
        cluster.spawn("accounts", "accounts", &[]).await;
        for worker in 0..membership_workers.max(1) {
            // The first worker listens on the advertised address; others on their own.
            let port = if worker == 0 { membership } else { free_port() };
            let name = format!("membership-{worker}");
            let listen = ("BAILIFF_MEMBERSHIP__LISTEN", format!("127.0.0.1:{port}"));
            cluster.spawn(&name, "membership", &[listen]).await;
        }
        cluster.spawn("notices", "notices", &[]).await;
        cluster.spawn("gateway", "gateway", &[]).await;
        cluster
    }

    /// Starts one role process and waits until it reports ready.
    pub async fn spawn(&mut self, name: &str, role: &str, env: &[(&str, String)]) {
        let mut all = self.env.clone();
        all.extend(env.iter().map(|(k, v)| ((*k).to_owned(), v.clone())));
        let process = RoleProcess::spawn(name, role, None, &all, self.logs.path());
        process.wait_until_up(&self.gateway.http, "/readyz").await;
        self.processes.insert(name.to_owned(), process);
    }

    /// Sends SIGTERM to one process.
    pub fn terminate(&self, name: &str) {
        self.processes[name].signal_term();
    }

    /// Waits for one process to exit, up to `limit`.
    pub async fn wait_exit(&mut self, name: &str, limit: Duration) -> std::process::ExitStatus {
        let process = self.processes.get_mut(name).expect("known process");
        process.wait_exit(limit).await
    }
}
