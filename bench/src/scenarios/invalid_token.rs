//! `invalid-token`: a request with a token nobody issued, new for every request, so no
//! cache can answer it: the full path to accounts-svc and its token lookup.

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
        let token = format!("bogus_{}", uuid::Uuid::new_v4().simple());
        let reply = http
            .get("/_matrix/client/v3/account/whoami", Some(&token))
            .await?;
        Ok(Outcome::of(reply.status, StatusCode::UNAUTHORIZED))
    }
}
