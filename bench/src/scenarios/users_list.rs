//! `users-list-name`, `users-list-created` and `users-search`: the Synapse users list
//! (`GET /_synapse/admin/v2/users`) over 100,000 users.
//!
//! The users are written straight through accounts-svc's store during preparation
//! ([`Store::seed_users`], one shared placeholder hash, 5,000 per transaction), as
//! `whois-cold` writes its sightings: the embedded mode has no seeding RPC and 100,000
//! Argon2id hashes would take most of an hour. Localparts are fixed
//! (`listuser_000000` … `listuser_099999`), so a second scenario in the same deployment
//! finds them there and inserts nothing.
//!
//! Pages are spread over the whole range: the `n`th operation (one counter for all
//! workers) asks for page `n × 7,919 mod 10,000`, so `from` visits every multiple of 10
//! from 0 to 99,990 in a scrambled order.

use std::sync::atomic::{AtomicUsize, Ordering};

use anyhow::Context as _;
use http::StatusCode;

use accounts_svc::store::{SeedUser, Store};
use bailiff_database::Database;
use bailiff_domain::{OwnedUserId, now_ms};

use super::{Context, Outcome, Scenario};
use crate::cluster::SERVER_NAME;
use crate::http::Http;

/// Users in the list.
pub const LIST_USERS: usize = 100_000;
/// Page size of the list scenarios.
const PAGE: usize = 10;
/// Users per seeding transaction.
const SEED_BATCH: usize = 5_000;
/// Coprime with the number of pages: consecutive operations jump across the range.
const STRIDE: usize = 7_919;

/// Seeds the 100,000 list users (idempotent) and reports how long it took.
async fn seed_list_users(ctx: &Context<'_>) -> anyhow::Result<()> {
    let started = std::time::Instant::now();
    let db = Database::connect(ctx.database_url, 2)
        .await
        .with_context(|| format!("connecting to {}", ctx.database_url))?;
    let store = Store::new(db);
    let base_ms = now_ms();
    let users = (0..LIST_USERS)
        .map(|n| {
            let localpart = format!("listuser_{n:06}");
            let user_id = format!("@{localpart}:{SERVER_NAME}");
            Ok(SeedUser {
                user_id: OwnedUserId::try_from(user_id.as_str())
                    .with_context(|| format!("{user_id} is not a user ID"))?,
                displayname: format!("List User {n:06}"),
                session: None,
            })
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    for (i, batch) in users.chunks(SEED_BATCH).enumerate() {
        // Creation times differ per batch, so `order_by=creation_ts` has something to sort.
        store
            .seed_users(batch, "bench-list-placeholder-hash", base_ms + i as i64)
            .await
            .context("seeding list users")?;
    }
    eprintln!(
        "  seeded {LIST_USERS} list users through accounts-svc's store in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

/// One list request with `from` spread over the whole range.
pub struct UsersList {
    order_by: &'static str,
    admin_token: String,
    next: AtomicUsize,
}

impl UsersList {
    async fn prepare_ordered(ctx: &Context<'_>, order_by: &'static str) -> anyhow::Result<Self> {
        seed_list_users(ctx).await?;
        Ok(Self {
            order_by,
            admin_token: ctx.admin.access_token.clone(),
            next: AtomicUsize::new(0),
        })
    }

    async fn request(&self, http: &Http) -> anyhow::Result<Outcome> {
        let n = self.next.fetch_add(1, Ordering::Relaxed);
        let pages = LIST_USERS / PAGE;
        let from = (n * STRIDE % pages) * PAGE;
        let path = format!(
            "/_synapse/admin/v2/users?from={from}&limit={PAGE}&order_by={}",
            self.order_by
        );
        let reply = http.get(&path, Some(&self.admin_token)).await?;
        Ok(Outcome::of(reply.status, StatusCode::OK))
    }
}

/// `order_by=name`.
pub struct UsersListByName(UsersList);

/// `order_by=creation_ts`.
pub struct UsersListByCreation(UsersList);

#[async_trait::async_trait]
impl Scenario for UsersListByName {
    async fn prepare(ctx: &Context<'_>) -> anyhow::Result<Self> {
        Ok(Self(UsersList::prepare_ordered(ctx, "name").await?))
    }

    async fn one_request(&self, http: &Http, _worker: usize, _seq: u64) -> anyhow::Result<Outcome> {
        self.0.request(http).await
    }
}

#[async_trait::async_trait]
impl Scenario for UsersListByCreation {
    async fn prepare(ctx: &Context<'_>) -> anyhow::Result<Self> {
        Ok(Self(UsersList::prepare_ordered(ctx, "creation_ts").await?))
    }

    async fn one_request(&self, http: &Http, _worker: usize, _seq: u64) -> anyhow::Result<Outcome> {
        self.0.request(http).await
    }
}

/// `name=<substring>`: a five-digit substring of the localparts and display names
/// (`01234` matches `listuser_01234x` and `listuser_x01234`: 20 users), a different one
/// per operation, default limit (100).
pub struct UsersSearch {
    admin_token: String,
    next: AtomicUsize,
}

#[async_trait::async_trait]
impl Scenario for UsersSearch {
    async fn prepare(ctx: &Context<'_>) -> anyhow::Result<Self> {
        seed_list_users(ctx).await?;
        Ok(Self {
            admin_token: ctx.admin.access_token.clone(),
            next: AtomicUsize::new(0),
        })
    }

    async fn one_request(&self, http: &Http, _worker: usize, _seq: u64) -> anyhow::Result<Outcome> {
        let n = self.next.fetch_add(1, Ordering::Relaxed) * STRIDE % LIST_USERS;
        let path = format!("/_synapse/admin/v2/users?name={n:05}");
        let reply = http.get(&path, Some(&self.admin_token)).await?;
        Ok(Outcome::of(reply.status, StatusCode::OK))
    }
}
