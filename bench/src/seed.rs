//! Test data: users, their tokens, an admin. In the distributed mode users come from the
//! accounts role's `SeedUsers` RPC (one shared password hash, fast); the embedded process
//! has no gRPC listener, so there they go through shared-secret registration over HTTP
//! (one Argon2id hash each: keep those pools small).

use anyhow::Context;
use bailiff_proto::accounts::SeedUsersRequest;
use bailiff_proto::accounts::accounts_client::AccountsClient;
use http::StatusCode;
use serde_json::json;
use tonic::transport::Channel;

use crate::http::{Http, Reply};

/// The shared-secret registration endpoint.
pub const REGISTER_PATH: &str = "/_synapse/admin/v1/register";

/// Password of every seeded user.
pub const SEED_PASSWORD: &str = "bench-seed-password";

/// A user that exists, with a token when one was asked for.
#[derive(Debug, Clone)]
pub struct User {
    pub user_id: String,
    pub access_token: String,
}

/// One full shared-secret registration: GET a nonce, sign it, POST. Returns the POST's
/// reply whatever its status (a benchmark counts failures; it does not stop on them).
pub async fn register(
    http: &Http,
    shared_secret: &str,
    username: &str,
    password: &str,
    admin: bool,
    inhibit_login: bool,
) -> anyhow::Result<Reply> {
    let nonce = http.get(REGISTER_PATH, None).await?;
    if nonce.status != StatusCode::OK {
        return Ok(nonce);
    }
    let nonce = nonce.json();
    let nonce = nonce
        .get("nonce")
        .and_then(|n| n.as_str())
        .context("the nonce reply has no nonce")?;
    let mac = gateway::registration_mac(shared_secret, nonce, username, password, admin, None);
    let body = json!({
        "nonce": nonce,
        "username": username,
        "password": password,
        "admin": admin,
        "mac": mac,
        "inhibit_login": inhibit_login,
    });
    http.post_json(REGISTER_PATH, None, &body).await
}

/// Creates users in bulk, by whichever path the deployment offers.
pub enum Seeder {
    /// Shared-secret registration over HTTP.
    Http { http: Http, shared_secret: String },
    /// `SeedUsers` on the accounts role.
    Grpc { client: AccountsClient<Channel> },
}

/// Users per `SeedUsers` call.
const SEED_CHUNK: usize = 5_000;
/// Registrations in flight while seeding over HTTP.
const HTTP_SEED_PARALLELISM: usize = 8;

impl Seeder {
    /// A seeder for a deployment: gRPC when `accounts_grpc` is known, else HTTP.
    pub async fn connect(
        http: &Http,
        shared_secret: &str,
        accounts_grpc: Option<&str>,
    ) -> anyhow::Result<Self> {
        Ok(match accounts_grpc {
            Some(address) => {
                let channel = tonic::transport::Endpoint::from_shared(address.to_owned())
                    .with_context(|| format!("bad accounts address {address}"))?
                    .connect()
                    .await
                    .with_context(|| format!("connecting to accounts at {address}"))?;
                Seeder::Grpc {
                    client: AccountsClient::new(channel),
                }
            }
            None => Seeder::Http {
                http: http.clone(),
                shared_secret: shared_secret.to_owned(),
            },
        })
    }

    /// How seeding works, for the report.
    pub fn describe(&self) -> &'static str {
        match self {
            Seeder::Http { .. } => "HTTP shared-secret registration",
            Seeder::Grpc { .. } => "gRPC SeedUsers",
        }
    }

    /// Creates `localparts` (with the password [`SEED_PASSWORD`]), each with an access
    /// token when `with_tokens`.
    pub async fn users(
        &self,
        localparts: &[String],
        with_tokens: bool,
    ) -> anyhow::Result<Vec<User>> {
        match self {
            Seeder::Grpc { client } => {
                let mut users = Vec::with_capacity(localparts.len());
                for chunk in localparts.chunks(SEED_CHUNK) {
                    let reply = client
                        .clone()
                        .seed_users(SeedUsersRequest {
                            localparts: chunk.to_vec(),
                            password: SEED_PASSWORD.to_owned(),
                            with_tokens,
                        })
                        .await
                        .context("SeedUsers")?
                        .into_inner();
                    users.extend(reply.users.into_iter().map(|u| User {
                        user_id: u.user_id,
                        access_token: u.access_token,
                    }));
                }
                Ok(users)
            }
            Seeder::Http {
                http,
                shared_secret,
            } => {
                let mut users = Vec::with_capacity(localparts.len());
                for chunk in localparts.chunks(HTTP_SEED_PARALLELISM) {
                    let mut pending = Vec::with_capacity(chunk.len());
                    for localpart in chunk {
                        pending.push(register_user(
                            http,
                            shared_secret,
                            localpart,
                            false,
                            !with_tokens,
                        ));
                    }
                    users.extend(futures::future::try_join_all(pending).await?);
                }
                Ok(users)
            }
        }
    }
}

/// Registers one user over HTTP and fails unless it worked.
pub async fn register_user(
    http: &Http,
    shared_secret: &str,
    localpart: &str,
    admin: bool,
    inhibit_login: bool,
) -> anyhow::Result<User> {
    let reply = register(
        http,
        shared_secret,
        localpart,
        SEED_PASSWORD,
        admin,
        inhibit_login,
    )
    .await?
    .expect(StatusCode::OK, &format!("registering {localpart}"))?;
    let body = reply.json();
    Ok(User {
        user_id: body["user_id"]
            .as_str()
            .context("registration reply without user_id")?
            .to_owned(),
        access_token: body["access_token"].as_str().unwrap_or_default().to_owned(),
    })
}
