//! Benchmark scenarios: one module per scenario. A scenario prepares its data once per
//! deployment ([`Scenario::prepare`]) and then issues one logical operation per call
//! ([`Scenario::one_request`]) while the load generator measures it.
//!
//! Adding one (say, `evacuate-room`) is a new file `scenarios/evacuate_room.rs` with a
//! type implementing [`Scenario`], plus one line in [`all`].

use std::sync::Arc;

use futures::future::BoxFuture;
use http::StatusCode;

use crate::cluster::Mode;
use crate::http::Http;
use crate::seed::{Seeder, User};

pub mod invalid_token;
pub mod register;
pub mod reset_password;
pub mod rooms_list;
pub mod send_notice;
pub mod users_list;
pub mod whois;

/// What a scenario may use while preparing.
pub struct Context<'a> {
    /// A client on the gateway's public listener.
    pub http: &'a Http,
    /// Creates users in bulk.
    pub seeder: &'a Seeder,
    /// A server admin with an access token.
    pub admin: &'a User,
    pub shared_secret: &'a str,
    /// The highest concurrency the scenario will be run at (to size pools of users).
    pub max_concurrency: usize,
    pub mode: Mode,
    /// Unique to this deployment and scenario, usable in localparts (`[a-z0-9]`).
    pub tag: &'a str,
    /// The deployment's database, for scenarios that seed straight through a store.
    pub database_url: &'a str,
}

/// How one operation ended (transport failures are `Err`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// The status the scenario expects.
    Expected,
    /// Any other status: counted as an error.
    Unexpected(StatusCode),
}

impl Outcome {
    /// `Expected` when `status == expected`.
    pub fn of(status: StatusCode, expected: StatusCode) -> Self {
        if status == expected {
            Outcome::Expected
        } else {
            Outcome::Unexpected(status)
        }
    }
}

/// One benchmark scenario.
#[async_trait::async_trait]
pub trait Scenario: Send + Sync + 'static {
    /// Creates whatever the operation needs (users, tokens, rooms), once per deployment.
    async fn prepare(ctx: &Context<'_>) -> anyhow::Result<Self>
    where
        Self: Sized;

    /// One operation, as a client would do it (it may be several HTTP requests, e.g.
    /// nonce then registration). `worker` is the caller's index; `seq` counts its calls.
    async fn one_request(&self, http: &Http, worker: usize, seq: u64) -> anyhow::Result<Outcome>;
}

type Prepare = for<'c> fn(&'c Context<'c>) -> BoxFuture<'c, anyhow::Result<Arc<dyn Scenario>>>;

/// A named scenario, before preparation.
pub struct Spec {
    pub name: &'static str,
    pub about: &'static str,
    prepare: Prepare,
}

impl Spec {
    fn of<S: Scenario>(name: &'static str, about: &'static str) -> Self {
        Self {
            name,
            about,
            prepare: prepare_boxed::<S>,
        }
    }

    /// Prepares the scenario against a running deployment.
    pub async fn prepare(&self, ctx: &Context<'_>) -> anyhow::Result<Arc<dyn Scenario>> {
        (self.prepare)(ctx).await
    }
}

fn prepare_boxed<'c, S: Scenario>(
    ctx: &'c Context<'c>,
) -> BoxFuture<'c, anyhow::Result<Arc<dyn Scenario>>> {
    Box::pin(async move { Ok(Arc::new(S::prepare(ctx).await?) as Arc<dyn Scenario>) })
}

/// Every scenario, in the order they run.
pub fn all() -> Vec<Spec> {
    vec![
        Spec::of::<whois::Whois>(
            "whois",
            "admin GET /_synapse/admin/v1/whois/{user}, expect 200",
        ),
        Spec::of::<whois::WhoisCold>(
            "whois-cold",
            "admin whois round-robin over 20,000 users, so no answer is reused; expect 200",
        ),
        Spec::of::<invalid_token::InvalidToken>(
            "invalid-token",
            "GET /_matrix/client/v3/account/whoami with a fresh random token, expect 401",
        ),
        Spec::of::<register::Register>(
            "register",
            "shared-secret registration: GET nonce, HMAC-SHA1, POST; expect 200",
        ),
        Spec::of::<reset_password::ResetPassword>(
            "reset-password",
            "admin POST /_dendrite/admin/resetPassword/{user} over a pool of users, expect 200",
        ),
        Spec::of::<send_notice::SendNoticePool>(
            "send-notice",
            "admin POST /_synapse/admin/v1/send_server_notice round-robin over 50 users, expect 200",
        ),
        Spec::of::<send_notice::SendNoticeOne>(
            "send-notice-one",
            "admin POST /_synapse/admin/v1/send_server_notice, all to one user, expect 200",
        ),
        Spec::of::<users_list::UsersListByName>(
            "users-list-name",
            "admin GET /_synapse/admin/v2/users?from=N&limit=10&order_by=name over 100,000 users, N spread to 99,990; expect 200",
        ),
        Spec::of::<users_list::UsersListByCreation>(
            "users-list-created",
            "the same, order_by=creation_ts; expect 200",
        ),
        Spec::of::<users_list::UsersSearch>(
            "users-search",
            "admin GET /_synapse/admin/v2/users?name=<5 digits> over 100,000 users (20 match); expect 200",
        ),
        Spec::of::<rooms_list::RoomsList>(
            "rooms-list",
            "admin GET /_synapse/admin/v1/rooms?order_by=joined_members&from=N&limit=100 over 20,000 rooms; expect 200",
        ),
    ]
}
