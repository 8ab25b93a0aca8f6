//! `invalid-token`: a request with a token nobody issued, new for every request, so no
//! cache can answer it. It has the shape of a minted token (`bft_`, 64 hex, `_`, 32 hex)
//! with a made-up tag, as a forger would send, so the gateway has to compute the tag to
//! refuse it (docs/http-api.md §2, "Tokens").

use http::StatusCode;

use super::{Context, Outcome, Scenario};
use crate::http::Http;

pub struct InvalidToken;

#[async_trait::async_trait]
impl Scenario for InvalidToken {
    async fn prepare(_ctx: &Context<'_>) -> anyhow::Result<Self> {
        Ok(Self)
    }

    async fn one_request(&self, http: &Http, _worker: usize, _seq: u64) -> anyhow::Result<Outcome> {
        let token = format!(
            "bft_{}{}_{}",
            uuid::Uuid::new_v4().simple(),
            uuid::Uuid::new_v4().simple(),
            uuid::Uuid::new_v4().simple()
        );
        let reply = http
            .get("/_matrix/client/v3/account/whoami", Some(&token))
            .await?;
        Ok(Outcome::of(reply.status, StatusCode::UNAUTHORIZED))
    }
}
