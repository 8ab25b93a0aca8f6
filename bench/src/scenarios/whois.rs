//! `whois`: an admin looks up a user who has a few recorded connections.

use std::time::{Duration, Instant};

use anyhow::Context as _;
use http::{Method, StatusCode};

use super::{Context, Outcome, Scenario};
use crate::http::{Http, segment};

/// Distinct user agents the target is seen with (one connection each in whois).
const SIGHTINGS: usize = 5;

pub struct Whois {
    path: String,
    admin_token: String,
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
        // Authenticated requests record connections that whois then reports.
        for n in 0..SIGHTINGS {
            ctx.http
                .send(
                    Method::GET,
                    "/_matrix/client/v3/account/whoami",
                    Some(&target.access_token),
                    None,
                    Some(&format!("bailiff-bench/{n}")),
                )
                .await?
                .expect(StatusCode::OK, "whoami as the whois target")?;
        }
        let path = format!("/_synapse/admin/v1/whois/{}", segment(&target.user_id));
        // Sightings are flushed in batches; wait until they show (the contract: 1 s).
        let deadline = Instant::now() + Duration::from_secs(5);
        loop {
            let reply = ctx
                .http
                .get(&path, Some(&ctx.admin.access_token))
                .await?
                .expect(StatusCode::OK, "whois")?;
            let devices = reply.json()["devices"]
                .as_object()
                .map(|d| d.len())
                .unwrap_or(0);
            if devices > 0 {
                break;
            }
            if Instant::now() >= deadline {
                eprintln!("  note: whois still shows no connection for the target after 5 s");
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
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
