//! `register`: the whole shared-secret registration flow per operation (GET a nonce,
//! HMAC-SHA1 it, POST), each with a new username, as `register_new_matrix_user` does.
//! Dominated by one Argon2id hash per user.

use std::sync::atomic::{AtomicU64, Ordering};

use http::StatusCode;

use super::{Context, Outcome, Scenario};
use crate::http::Http;
use crate::seed;

pub struct Register {
    prefix: String,
    shared_secret: String,
    next: AtomicU64,
}

#[async_trait::async_trait]
impl Scenario for Register {
    async fn prepare(ctx: &Context<'_>) -> anyhow::Result<Self> {
        Ok(Self {
            prefix: format!("reg_{}_", ctx.tag),
            shared_secret: ctx.shared_secret.to_owned(),
            next: AtomicU64::new(0),
        })
    }

    async fn one_request(&self, http: &Http, _worker: usize, _seq: u64) -> anyhow::Result<Outcome> {
        let n = self.next.fetch_add(1, Ordering::Relaxed);
        let username = format!("{}{n}", self.prefix);
        let reply = seed::register(
            http,
            &self.shared_secret,
            &username,
            "bench-register-password",
            false,
            false,
        )
        .await?;
        Ok(Outcome::of(reply.status, StatusCode::OK))
    }
}
