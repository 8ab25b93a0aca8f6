//! `whois` and `whois-cold`: an admin looks up users who have recorded connections.
//!
//! `whois` asks about one user over and over, which is what an admin tool polling a
//! user costs: gateways reuse an answer for `auth.whois_cache`, so nearly every
//! request is served from there. `whois-cold` asks round-robin over a pool large enough
//! that no answer is still fresh when its user comes round again, so every request
//! crosses to accounts-svc and its database.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use anyhow::Context as _;
use http::{Method, StatusCode};

use accounts_svc::store::{Sighting, Store};
use bailiff_database::Database;
use bailiff_domain::{OwnedUserId, now_ms};

use super::{Context, Outcome, Scenario};
use crate::cluster::SERVER_NAME;
use crate::http::{Http, segment};
use crate::seed::User;

/// Distinct user agents the `whois` target is seen with (one connection each).
const SIGHTINGS: usize = 5;

/// Users in the `whois-cold` pool: even at 40,000 lookups a second a user comes round
/// again only after 500 ms, past the 250 ms the gateway reuses an answer for.
const COLD_POOL: usize = 20_000;

pub struct Whois {
    path: String,
    admin_token: String,
}

pub struct WhoisCold {
    paths: Vec<String>,
    admin_token: String,
    next: AtomicUsize,
}

/// Authenticated requests record the connections that whois reports.
async fn be_seen(http: &Http, user: &User, agent: &str) -> anyhow::Result<()> {
    http.send(
        Method::GET,
        "/_matrix/client/v3/account/whoami",
        Some(&user.access_token),
        None,
        Some(agent),
    )
    .await?
    .expect(StatusCode::OK, "whoami as a whois target")?;
    Ok(())
}

fn whois_path(user_id: &str) -> String {
    format!("/_synapse/admin/v1/whois/{}", segment(user_id))
}

/// Sightings are flushed in batches: waits until `path` shows a device (the contract
/// says within 1 s; 5 s before giving up with a note).
async fn until_seen(ctx: &Context<'_>, path: &str) -> anyhow::Result<()> {
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let reply = ctx
            .http
            .get(path, Some(&ctx.admin.access_token))
            .await?
            .expect(StatusCode::OK, "whois")?;
        let devices = reply.json()["devices"]
            .as_object()
            .map_or(0, serde_json::Map::len);
        if devices > 0 {
            return Ok(());
        }
        if Instant::now() >= deadline {
            eprintln!("  note: whois still shows no connection for {path} after 5 s");
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[async_trait::async_trait]
impl Scenario for Whois {
    async fn prepare(ctx: &Context<'_>) -> anyhow::Result<Self> {
        let localpart = format!("whois_{}", ctx.tag);
        let target = ctx
            .seeder
            .users(std::slice::from_ref(&localpart), true)
            .await?
            .pop()
            .context("no whois target was created")?;
        for n in 0..SIGHTINGS {
            be_seen(ctx.http, &target, &format!("bailiff-bench/{n}")).await?;
        }
        let path = whois_path(&target.user_id);
        until_seen(ctx, &path).await?;
        Ok(Self {
            path,
            admin_token: ctx.admin.access_token.clone(),
        })
    }

    async fn one_request(&self, http: &Http, _worker: usize, _seq: u64) -> anyhow::Result<Outcome> {
        let reply = http.get(&self.path, Some(&self.admin_token)).await?;
        Ok(Outcome::of(reply.status, StatusCode::OK))
    }
}

#[async_trait::async_trait]
impl Scenario for WhoisCold {
    async fn prepare(ctx: &Context<'_>) -> anyhow::Result<Self> {
        // Whois reports recorded sightings only, so the pool's are written straight
        // through accounts-svc's store (as a gateway's flush would write them): 20,000
        // users registered over HTTP would cost 20,000 Argon2id hashes in the embedded
        // mode, which has no seeding RPC.
        let db = Database::connect(ctx.database_url, 2)
            .await
            .with_context(|| format!("connecting to {}", ctx.database_url))?;
        let store = Store::new(db);
        let user_ids = (0..COLD_POOL)
            .map(|n| {
                let user_id = format!("@whoiscold_{}_{n}:{SERVER_NAME}", ctx.tag);
                OwnedUserId::try_from(user_id.as_str())
                    .with_context(|| format!("{user_id} is not a user ID"))
            })
            .collect::<anyhow::Result<Vec<_>>>()?;
        let now_ms = now_ms();
        for batch in user_ids.chunks(1_000) {
            let sightings: Vec<Sighting> = batch
                .iter()
                .map(|user_id| Sighting {
                    user_id: user_id.clone(),
                    device_id: "BENCHDEVICE".into(),
                    ip: "127.0.0.1".to_owned(),
                    user_agent: "bailiff-bench/cold".to_owned(),
                    last_seen_ms: now_ms,
                })
                .collect();
            store
                .record_connections(&sightings)
                .await
                .context("writing sightings")?;
        }
        let paths: Vec<String> = user_ids.iter().map(|id| whois_path(id.as_str())).collect();
        if let Some(last) = paths.last() {
            until_seen(ctx, last).await?;
        }
        // Let the answer fetched while checking go stale.
        tokio::time::sleep(Duration::from_millis(500)).await;
        Ok(Self {
            paths,
            admin_token: ctx.admin.access_token.clone(),
            next: AtomicUsize::new(0),
        })
    }

    async fn one_request(&self, http: &Http, _worker: usize, _seq: u64) -> anyhow::Result<Outcome> {
        // One counter for all workers: a user is asked again only after the whole pool.
        let n = self.next.fetch_add(1, Ordering::Relaxed) % self.paths.len();
        let reply = http.get(&self.paths[n], Some(&self.admin_token)).await?;
        Ok(Outcome::of(reply.status, StatusCode::OK))
    }
}
