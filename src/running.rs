//! What a started process owns, and how it stops.
//!
//! Every task the process starts runs on one of two `TaskTracker`s, so a shutdown can
//! wait for all of them and nothing runs detached: the roles (their servers and each
//! role's background work, which the roles spawn on the tracker passed in their `Deps`)
//! and the plumbing under them (the replica bus subscription). The plumbing stops only
//! after every role has: a draining gateway must still hear about revoked tokens, and
//! `/sync` waiters about new events, until their last request is answered.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::panic::AssertUnwindSafe;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures::FutureExt;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::Role;
use crate::internal::Readiness;

/// The tasks of one process and the tokens that stop them; cheap to clone.
#[derive(Clone, Default)]
pub(crate) struct Supervisor {
    /// Role servers and the roles' background work.
    pub roles: TaskTracker,
    /// Stops the roles: listeners stop accepting, workers stop taking work.
    pub shutdown: CancellationToken,
    /// The replica bus subscription.
    pub plumbing: TaskTracker,
    /// Stops the plumbing, once the roles have stopped.
    pub plumbing_stop: CancellationToken,
    /// The first error a role server stopped with.
    failure: Arc<Mutex<Option<anyhow::Error>>>,
}

impl Supervisor {
    /// Runs a role's server on the role tracker. A server that fails or panics stops
    /// every role, so the process exits and an orchestrator restarts it.
    pub fn spawn_server<F>(&self, server: F)
    where
        F: Future<Output = anyhow::Result<()>> + Send + 'static,
    {
        let shutdown = self.shutdown.clone();
        let failure = Arc::clone(&self.failure);
        self.roles.spawn(async move {
            let outcome = match AssertUnwindSafe(server).catch_unwind().await {
                Ok(outcome) => outcome,
                Err(_) => Err(anyhow::anyhow!("role task panicked")),
            };
            if let Err(error) = outcome {
                tracing::error!(error = %format!("{error:#}"), "role stopped with an error");
                shutdown.cancel();
                failure
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner)
                    .get_or_insert(error);
            }
        });
    }

    /// Fires every token, for a start-up that failed half-way: what it started winds
    /// down on its own.
    pub fn abandon(&self) {
        self.shutdown.cancel();
        self.plumbing_stop.cancel();
    }

    /// Waits for the roles, then stops the plumbing and waits for it; the first error
    /// a role stopped with, if any.
    async fn wait(&self) -> anyhow::Result<()> {
        // Closing only lets `wait` finish once the tracker is empty; roles stopping
        // late can still spawn on it.
        self.roles.close();
        self.roles.wait().await;
        self.plumbing_stop.cancel();
        self.plumbing.close();
        self.plumbing.wait().await;
        self.take_failure()
    }

    fn take_failure(&self) -> anyhow::Result<()> {
        match self
            .failure
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .take()
        {
            Some(error) => Err(error),
            None => Ok(()),
        }
    }
}

/// A started set of roles. Dropping it does not stop them: call [`Running::stop`].
pub struct Running {
    /// Where the gateway's public HTTP listener is bound, if this process runs it.
    pub http_addr: Option<SocketAddr>,
    /// Where each gRPC role listens, for roles served over the network.
    pub grpc_addrs: BTreeMap<Role, SocketAddr>,
    /// Where `/metrics`, `/livez` and `/readyz` are served, if enabled.
    pub internal_addr: Option<SocketAddr>,
    pub(crate) readiness: Arc<Readiness>,
    pub(crate) supervisor: Supervisor,
}

impl Running {
    /// The token that stops every role when cancelled.
    pub fn shutdown_token(&self) -> CancellationToken {
        self.supervisor.shutdown.clone()
    }

    /// Waits until every task has stopped (after the token is cancelled, or once a role
    /// failed and took the others down); the first error a role stopped with.
    pub async fn wait(&self) -> anyhow::Result<()> {
        self.supervisor.wait().await
    }

    /// Turns readiness and gRPC health off, then cancels every role: listeners stop
    /// accepting, in-flight requests finish, workers leave unfinished chunks to others.
    pub fn begin_shutdown(&self) {
        self.readiness.begin_shutdown();
        self.supervisor.shutdown.cancel();
    }

    /// Shuts down and waits for every task.
    pub async fn stop(self) -> anyhow::Result<()> {
        self.begin_shutdown();
        self.wait().await
    }

    /// Shuts down and waits for every task, at most `grace`. Tasks still running then
    /// are abandoned with a warning: their tokens have fired, nothing waits for them any
    /// longer, and they end with the runtime when the process returns from `main`.
    pub async fn stop_within(self, grace: Duration) -> anyhow::Result<()> {
        self.begin_shutdown();
        match tokio::time::timeout(grace, self.wait()).await {
            Ok(result) => result,
            Err(_) => {
                self.supervisor.plumbing_stop.cancel();
                tracing::warn!(
                    grace_ms = u64::try_from(grace.as_millis()).unwrap_or(u64::MAX),
                    unfinished = self.supervisor.roles.len() + self.supervisor.plumbing.len(),
                    "grace period over; abandoning the tasks still running"
                );
                self.supervisor.take_failure()
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn running() -> Running {
        Running {
            http_addr: None,
            grpc_addrs: BTreeMap::new(),
            internal_addr: None,
            readiness: Arc::default(),
            supervisor: Supervisor::default(),
        }
    }

    #[tokio::test(start_paused = true)]
    async fn a_task_that_outlives_the_grace_period_is_abandoned_not_waited_for() {
        let running = running();
        running.supervisor.roles.spawn(std::future::pending::<()>());
        let started = tokio::time::Instant::now();
        running
            .stop_within(Duration::from_secs(25))
            .await
            .expect("running out of grace is not an error");
        assert!(started.elapsed() >= Duration::from_secs(25));
    }

    #[tokio::test]
    async fn a_failing_server_stops_the_others_and_its_error_is_returned() {
        let running = running();
        let token = running.shutdown_token();
        running.supervisor.spawn_server(async move {
            token.cancelled().await;
            Ok(())
        });
        running
            .supervisor
            .spawn_server(async { Err(anyhow::anyhow!("bind failed")) });
        let error = tokio::time::timeout(Duration::from_secs(10), running.wait())
            .await
            .expect("every task stops")
            .expect_err("the failure is reported");
        assert_eq!(error.to_string(), "bind failed");
        assert!(running.readiness.is_ready(), "a fault is not a drain");
    }

    #[tokio::test]
    async fn the_plumbing_stops_only_after_the_roles() {
        let running = running();
        let plumbing_stop = running.supervisor.plumbing_stop.clone();
        let (order_tx, mut order) = tokio::sync::mpsc::unbounded_channel();
        let token = running.shutdown_token();
        let role_done = order_tx.clone();
        running.supervisor.roles.spawn(async move {
            token.cancelled().await;
            let _ = role_done.send("role");
        });
        running.supervisor.plumbing.spawn(async move {
            plumbing_stop.cancelled().await;
            let _ = order_tx.send("plumbing");
        });
        running.stop().await.expect("clean stop");
        assert_eq!(order.recv().await, Some("role"));
        assert_eq!(order.recv().await, Some("plumbing"));
    }
}
