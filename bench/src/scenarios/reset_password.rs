//! `reset-password`: an admin sets a new password (Dendrite's endpoint), rotating over
//! a pool of users larger than the concurrency, so no two requests in flight usually
//! touch the same user. Dominated by one Argon2id hash per request.

use std::sync::atomic::{AtomicU64, Ordering};

use anyhow::ensure;
use http::StatusCode;
use serde_json::json;

use super::{Context, Outcome, Scenario};
use crate::cluster::Mode;
use crate::http::{Http, segment};

pub struct ResetPassword {
    paths: Vec<String>,
    admin_token: String,
    next: AtomicU64,
}

#[async_trait::async_trait]
impl Scenario for ResetPassword {
    async fn prepare(ctx: &Context<'_>) -> anyhow::Result<Self> {
        // Over HTTP each seeded user costs a password hash: keep that pool small.
        let size = match ctx.mode {
            Mode::Embedded => 2 * ctx.max_concurrency,
            Mode::Distributed => (8 * ctx.max_concurrency).max(1_000),
        };
        let localparts: Vec<String> = (0..size).map(|n| format!("pw_{}_{n}", ctx.tag)).collect();
        let users = ctx.seeder.users(&localparts, false).await?;
        ensure!(!users.is_empty(), "no users were seeded for reset-password");
        Ok(Self {
            paths: users
                .iter()
                .map(|u| format!("/_dendrite/admin/resetPassword/{}", segment(&u.user_id)))
                .collect(),
            admin_token: ctx.admin.access_token.clone(),
            next: AtomicU64::new(0),
        })
    }

    async fn one_request(&self, http: &Http, _worker: usize, _seq: u64) -> anyhow::Result<Outcome> {
        let n = self.next.fetch_add(1, Ordering::Relaxed);
        let path = &self.paths[(n % self.paths.len() as u64) as usize];
        let body =
            json!({ "password": format!("bench-new-password-{n}"), "logout_devices": false });
        let reply = http.post_json(path, Some(&self.admin_token), &body).await?;
        Ok(Outcome::of(reply.status, StatusCode::OK))
    }
}
