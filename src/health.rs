//! Dependency checks that drive gRPC health (tonic-health) and `/readyz`: a role whose
//! database or Redis is unreachable reports NOT_SERVING until it comes back.

use std::sync::Arc;
use std::time::Duration;

use bailiff_database::Database;
use tokio_util::sync::CancellationToken;
use tonic_health::ServingStatus;
use tonic_health::server::HealthReporter;

use crate::internal::Readiness;

/// What one role depends on.
#[derive(Clone)]
pub struct Dependencies {
    pub service: &'static str,
    pub db: Database,
    pub redis: Option<redis::Client>,
}

/// How often dependencies are probed.
const INTERVAL: Duration = Duration::from_secs(1);

/// Probes `deps` every second until shutdown, updating gRPC health for `services` and
/// the process readiness. On shutdown every service is marked NOT_SERVING first.
pub async fn watch(
    deps: Vec<Dependencies>,
    reporter: Option<(HealthReporter, &'static [&'static str])>,
    readiness: Arc<Readiness>,
    shutdown: CancellationToken,
) {
    let mut last: Option<bool> = None;
    let mut redis_conns: Vec<Option<redis::aio::MultiplexedConnection>> = vec![None; deps.len()];
    loop {
        let mut up = true;
        for (dep, conn) in deps.iter().zip(redis_conns.iter_mut()) {
            let db_up = tokio::time::timeout(Duration::from_secs(2), dep.db.is_reachable())
                .await
                .unwrap_or(false);
            bailiff_telemetry::metrics::record_db_pool(
                dep.service,
                dep.db.pool.size(),
                dep.db.pool.num_idle(),
            );
            let redis_up = match &dep.redis {
                Some(client) => tokio::time::timeout(Duration::from_secs(2), ping(client, conn))
                    .await
                    .unwrap_or(false),
                None => true,
            };
            up &= db_up && redis_up;
        }
        if last != Some(up) {
            if !up {
                tracing::warn!("a dependency is unreachable; reporting NOT_SERVING");
            } else if last.is_some() {
                tracing::info!("dependencies reachable again; reporting SERVING");
            }
            set_status(
                reporter.as_ref(),
                if up {
                    ServingStatus::Serving
                } else {
                    ServingStatus::NotServing
                },
            )
            .await;
            readiness.set_dependencies_up(up);
            last = Some(up);
        }
        tokio::select! {
            () = shutdown.cancelled() => break,
            () = tokio::time::sleep(INTERVAL) => {}
        }
    }
    set_status(reporter.as_ref(), ServingStatus::NotServing).await;
}

async fn set_status(
    reporter: Option<&(HealthReporter, &'static [&'static str])>,
    status: ServingStatus,
) {
    if let Some((reporter, services)) = reporter {
        reporter.set_service_status("", status).await;
        for service in *services {
            reporter.set_service_status(*service, status).await;
        }
    }
}

/// PINGs Redis over a kept connection, reconnecting after a failure.
async fn ping(
    client: &redis::Client,
    kept: &mut Option<redis::aio::MultiplexedConnection>,
) -> bool {
    if kept.is_none() {
        *kept = client.get_multiplexed_async_connection().await.ok();
    }
    let Some(conn) = kept.as_mut() else {
        return false;
    };
    let ok = redis::cmd("PING").query_async::<String>(conn).await.is_ok();
    if !ok {
        *kept = None;
    }
    ok
}
