//! The service as the gateway sees it: generated client → in-process channel → server.
//! This module holds the harness; each child tests one group of RPCs.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use bailiff_database::Database;
use bailiff_proto::accounts::accounts_client::AccountsClient;
use bailiff_proto::accounts::*;
use bailiff_proto::channel::{GrpcChannel, in_process};
use matrix_status::MatrixError;
use replica_bus::{BusMessage, ReplicaBus};
use tokio::sync::broadcast;

use super::*;
use crate::AUTH_TOPIC;

const START_MS: i64 = 1_700_000_000_000;

fn id(user_id: &str) -> bailiff_domain::OwnedUserId {
    bailiff_domain::OwnedUserId::try_from(user_id).expect("a valid user ID")
}

struct Harness {
    client: AccountsClient<GrpcChannel>,
    store: Store,
    clock: Arc<AtomicI64>,
    auth_events: broadcast::Receiver<BusMessage>,
}

impl Harness {
    async fn new(db: Database) -> Self {
        crate::migrate(&db).await.expect("migrate");
        let bus = ReplicaBus::in_process();
        // Subscribed before anything happens, so no publication can be missed.
        let auth_events = bus.subscribe(AUTH_TOPIC);
        let (clock, now) = Clock::manual(START_MS);
        let store = Store::new(db);
        let service = AccountsService::new(Settings {
            store: store.clone(),
            passwords: Passwords::new(2),
            invalidations: Invalidations::new(bus),
            clock,
            server_name: "hs.test".into(),
            reserved_localpart: "_server".into(),
            token_key: store.token_key().await.expect("token key"),
        });
        let routes = tonic::service::Routes::default().add_service(service.into_server());
        Self {
            client: AccountsClient::new(in_process(routes)),
            store,
            clock: now,
            auth_events,
        }
    }

    fn advance(&self, ms: i64) {
        self.clock.fetch_add(ms, Ordering::SeqCst);
    }

    /// Publications happen before the RPC returns, so they are already queued.
    fn published(&mut self) -> Vec<String> {
        let mut users = Vec::new();
        while let Ok(message) = self.auth_events.try_recv() {
            match message {
                BusMessage::Published(user) => users.push(user.to_string()),
                BusMessage::Gap => panic!("unexpected gap on an in-process bus"),
            }
        }
        users
    }

    async fn register(&mut self, localpart: &str, password: &str) -> RegisterUserResponse {
        self.client
            .register_user(RegisterUserRequest {
                localpart: localpart.into(),
                password: password.into(),
                ..Default::default()
            })
            .await
            .expect("register")
            .into_inner()
    }

    async fn login(
        &mut self,
        localpart: &str,
        password: &str,
        device_id: Option<&str>,
    ) -> Result<LoginResponse, MatrixError> {
        self.client
            .login(LoginRequest {
                localpart: localpart.into(),
                password: password.into(),
                device_id: device_id.map(Into::into),
                initial_device_display_name: None,
            })
            .await
            .map(tonic::Response::into_inner)
            .map_err(|status| MatrixError::from_status(&status))
    }

    async fn authenticate(&mut self, token: &str) -> Result<AuthenticateResponse, MatrixError> {
        self.client
            .authenticate(AuthenticateRequest {
                access_token: token.into(),
            })
            .await
            .map(tonic::Response::into_inner)
            .map_err(|status| MatrixError::from_status(&status))
    }
}

fn error<T: std::fmt::Debug>(result: Result<T, tonic::Status>) -> MatrixError {
    MatrixError::from_status(&result.expect_err("expected an error"))
}

fn assert_unknown_token(result: Result<AuthenticateResponse, MatrixError>) {
    let error = result.expect_err("token must be refused");
    assert_eq!((error.status, error.errcode), (401, "M_UNKNOWN_TOKEN"));
    assert_eq!(error.message, "Invalid access token passed.");
    assert_eq!(error.body()["soft_logout"], serde_json::json!(false));
}

fn assert_login_refused(result: Result<LoginResponse, MatrixError>) {
    let error = result.expect_err("login must be refused");
    assert_eq!(
        (error.status, error.errcode, error.message.as_str()),
        (403, "M_FORBIDDEN", "Invalid username or password")
    );
}

/// A sighting of one of bob's devices.
fn connection(device: &str, ip: &str, ua: &str, at: i64) -> Connection {
    Connection {
        user_id: "@bob:hs.test".into(),
        device_id: device.into(),
        ip: ip.into(),
        user_agent: ua.into(),
        last_seen_ms: at,
    }
}

mod admin;
mod registration;
mod service;
mod sessions;
