//! `send-notice` and `send-notice-one`: an admin sends server notices
//! (`POST /_synapse/admin/v1/send_server_notice`) round-robin over a pool of 50 users, or
//! all to one user. Each user's notice room is created during preparation, so the
//! measured path is the steady state: find the room, check the membership, send.

use anyhow::Context as _;
use http::StatusCode;
use serde_json::json;

use super::{Context, Outcome, Scenario};
use crate::http::Http;

const PATH: &str = "/_synapse/admin/v1/send_server_notice";

/// Users in the pool of `send-notice`.
const POOL: usize = 50;

pub struct SendNotice {
    targets: Vec<String>,
    admin_token: String,
}

pub struct SendNoticePool(SendNotice);
pub struct SendNoticeOne(SendNotice);

async fn prepare(ctx: &Context<'_>, name: &str, users: usize) -> anyhow::Result<SendNotice> {
    let localparts: Vec<String> = (0..users)
        .map(|n| format!("{name}_{}_{n}", ctx.tag))
        .collect();
    let targets: Vec<String> = ctx
        .seeder
        .users(&localparts, false)
        .await?
        .into_iter()
        .map(|u| u.user_id)
        .collect();
    anyhow::ensure!(
        targets.len() == users,
        "not every notice target was created"
    );
    for target in &targets {
        ctx.http
            .post_json(
                PATH,
                Some(&ctx.admin.access_token),
                &json!({"user_id": target, "content": {"msgtype": "m.text", "body": "welcome"}}),
            )
            .await?
            .expect(StatusCode::OK, "first notice")
            .context("creating the notice room")?;
    }
    Ok(SendNotice {
        targets,
        admin_token: ctx.admin.access_token.clone(),
    })
}

impl SendNotice {
    async fn send(&self, http: &Http, worker: usize, seq: u64) -> anyhow::Result<Outcome> {
        let n = worker.wrapping_mul(7919).wrapping_add(seq as usize) % self.targets.len();
        let body = json!({
            "user_id": self.targets[n],
            "content": {"msgtype": "m.text", "body": format!("notice {worker}/{seq}")},
        });
        let reply = http.post_json(PATH, Some(&self.admin_token), &body).await?;
        Ok(Outcome::of(reply.status, StatusCode::OK))
    }
}

#[async_trait::async_trait]
impl Scenario for SendNoticePool {
    async fn prepare(ctx: &Context<'_>) -> anyhow::Result<Self> {
        Ok(Self(prepare(ctx, "notice", POOL).await?))
    }

    async fn one_request(&self, http: &Http, worker: usize, seq: u64) -> anyhow::Result<Outcome> {
        self.0.send(http, worker, seq).await
    }
}

#[async_trait::async_trait]
impl Scenario for SendNoticeOne {
    async fn prepare(ctx: &Context<'_>) -> anyhow::Result<Self> {
        Ok(Self(prepare(ctx, "noticeone", 1).await?))
    }

    async fn one_request(&self, http: &Http, worker: usize, seq: u64) -> anyhow::Result<Outcome> {
        self.0.send(http, worker, seq).await
    }
}
