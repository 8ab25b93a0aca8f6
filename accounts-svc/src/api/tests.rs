//! The service as the gateway sees it: generated client → in-process channel → server.

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

bailiff_database::test_on_both_backends!(registration_rules, |db: Database| async move {
    let mut h = Harness::new(db).await;
    let bob = h.register("bob", "pw123").await;
    assert_eq!(bob.user_id, "@bob:hs.test");
    assert_eq!(bob.device_id.len(), 10);
    assert!(bob.device_id.bytes().all(|b| b.is_ascii_uppercase()));
    let me = h
        .authenticate(&bob.access_token)
        .await
        .expect("token works");
    assert_eq!(
        (me.user_id.as_str(), me.device_id.as_str(), me.is_admin),
        ("@bob:hs.test", bob.device_id.as_str(), false)
    );
    let profile = h
        .client
        .get_user(GetUserRequest {
            user_id: "@bob:hs.test".into(),
        })
        .await
        .expect("get")
        .into_inner();
    assert_eq!(
        profile.displayname, "bob",
        "display name defaults to the localpart"
    );
    assert!(!profile.is_admin && !profile.deactivated);

    let taken = error(
        h.client
            .register_user(RegisterUserRequest {
                localpart: "bob".into(),
                password: "x".into(),
                ..Default::default()
            })
            .await,
    );
    assert_eq!(
        (taken.status, taken.errcode, taken.message.as_str()),
        (400, "M_USER_IN_USE", "User ID already taken.")
    );
    let reserved = error(
        h.client
            .register_user(RegisterUserRequest {
                localpart: "_server".into(),
                password: "x".into(),
                ..Default::default()
            })
            .await,
    );
    assert_eq!(
        (reserved.status, reserved.errcode, reserved.message.as_str()),
        (400, "M_EXCLUSIVE", "This user ID is reserved.")
    );

    let boss = h
        .client
        .register_user(RegisterUserRequest {
            localpart: "boss".into(),
            password: "pw123".into(),
            admin: true,
            user_type: Some("bot".into()),
            displayname: Some("The Boss".into()),
            device_id: Some("MYDEVICE".into()),
            initial_device_display_name: Some("laptop".into()),
            inhibit_login: false,
        })
        .await
        .expect("register boss")
        .into_inner();
    assert_eq!(boss.device_id, "MYDEVICE");
    assert!(
        h.authenticate(&boss.access_token)
            .await
            .expect("boss token")
            .is_admin
    );
    let stored = h
        .store
        .user("@boss:hs.test")
        .await
        .expect("get")
        .expect("boss");
    assert_eq!(
        (
            stored.displayname.as_str(),
            stored.user_type.as_deref(),
            stored.is_admin
        ),
        ("The Boss", Some("bot"), true)
    );
    assert!(
        stored
            .password_hash
            .expect("hash")
            .starts_with("$argon2id$")
    );

    let quiet = h
        .client
        .register_user(RegisterUserRequest {
            localpart: "quiet".into(),
            password: "pw123".into(),
            inhibit_login: true,
            ..Default::default()
        })
        .await
        .expect("inhibit login")
        .into_inner();
    assert_eq!(
        (
            quiet.user_id.as_str(),
            quiet.access_token.as_str(),
            quiet.device_id.as_str()
        ),
        ("@quiet:hs.test", "", "")
    );
    assert!(
        h.store
            .device_ids("@quiet:hs.test")
            .await
            .expect("devices")
            .is_empty()
    );
    assert!(
        h.login("quiet", "pw123", None).await.is_ok(),
        "the password still works"
    );
});

bailiff_database::test_on_both_backends!(login_and_logout, |db: Database| async move {
    let mut h = Harness::new(db).await;
    let bob = h.register("bob", "correct horse").await;
    assert_login_refused(h.login("bob", "wrong horse", None).await);
    assert_login_refused(h.login("nobody", "correct horse", None).await);
    h.register("nopass", "").await;
    assert_login_refused(h.login("nopass", "", None).await);

    let phone = h
        .login("bob", "correct horse", Some("PHONE"))
        .await
        .expect("login");
    assert_eq!(
        (phone.user_id.as_str(), phone.device_id.as_str()),
        ("@bob:hs.test", "PHONE")
    );
    assert!(h.published().is_empty(), "a new device revokes nothing");
    // Logging in again on the same device replaces its token, and gateways are told.
    let phone2 = h
        .login("bob", "correct horse", Some("PHONE"))
        .await
        .expect("relogin");
    assert_unknown_token(h.authenticate(&phone.access_token).await);
    assert_eq!(
        h.authenticate(&phone2.access_token)
            .await
            .expect("new token")
            .device_id,
        "PHONE"
    );
    assert_eq!(h.published(), ["@bob:hs.test"]);
    let random = h.login("bob", "correct horse", None).await.expect("login");
    assert_eq!(random.device_id.len(), 10);
    assert_ne!(random.device_id, bob.device_id);

    h.client
        .logout(LogoutRequest {
            access_token: phone2.access_token.clone(),
        })
        .await
        .expect("logout");
    assert_unknown_token(h.authenticate(&phone2.access_token).await);
    assert_eq!(h.published(), ["@bob:hs.test"]);
    assert!(
        !h.store
            .device_ids("@bob:hs.test")
            .await
            .expect("devices")
            .contains(&"PHONE".to_owned())
    );
    let again = error(
        h.client
            .logout(LogoutRequest {
                access_token: phone2.access_token.clone(),
            })
            .await,
    );
    assert_eq!((again.status, again.errcode), (401, "M_UNKNOWN_TOKEN"));
    let empty = error(
        h.client
            .logout(LogoutRequest {
                access_token: String::new(),
            })
            .await,
    );
    assert_eq!(empty.errcode, "M_UNKNOWN_TOKEN");
    assert!(
        h.authenticate(&bob.access_token).await.is_ok(),
        "other sessions survive"
    );

    h.client
        .logout_all(LogoutAllRequest {
            user_id: "@bob:hs.test".into(),
        })
        .await
        .expect("logout all");
    assert_unknown_token(h.authenticate(&bob.access_token).await);
    assert_unknown_token(h.authenticate(&random.access_token).await);
    assert_eq!(h.published(), ["@bob:hs.test"]);
    assert!(
        h.store
            .device_ids("@bob:hs.test")
            .await
            .expect("devices")
            .is_empty()
    );

    // Deactivated users can neither use old tokens nor log in.
    let token = h
        .login("bob", "correct horse", None)
        .await
        .expect("login")
        .access_token;
    h.store
        .set_deactivated("@bob:hs.test", true)
        .await
        .expect("deactivate");
    assert_unknown_token(h.authenticate(&token).await);
    assert_login_refused(h.login("bob", "correct horse", None).await);
    assert_unknown_token(h.authenticate("").await);
    assert_unknown_token(h.authenticate("bft_nonsense").await);
});

bailiff_database::test_on_both_backends!(
    bcrypt_imported_accounts_can_log_in,
    |db: Database| async move {
        let mut h = Harness::new(db).await;
        h.store
            .register(
                crate::store::NewUser {
                    user_id: "@imported:hs.test",
                    password_hash: Some(
                        "$2b$04$EGdrhbKUv8Oc9vGiXX0HQOxSg445d458Muh7DAHskb6QbtCvdxcie",
                    ),
                    displayname: "imported",
                    user_type: None,
                    is_admin: false,
                },
                None,
                START_MS,
            )
            .await
            .expect("import");
        assert!(
            h.login("imported", "correctbatteryhorsestapler", None)
                .await
                .is_ok()
        );
        assert_login_refused(h.login("imported", "wrong", None).await);
    }
);

bailiff_database::test_on_both_backends!(
    nonces_are_single_use_for_sixty_seconds,
    |db: Database| async move {
        let mut h = Harness::new(db).await;
        let consume = |client: &mut AccountsClient<GrpcChannel>, nonce: String| {
            let mut client = client.clone();
            async move { client.consume_nonce(ConsumeNonceRequest { nonce }).await }
        };
        let assert_unrecognised =
            |result: Result<tonic::Response<ConsumeNonceResponse>, tonic::Status>| {
                let e = error(result);
                assert_eq!(
                    (e.status, e.errcode, e.message.as_str()),
                    (400, "M_UNKNOWN", "unrecognised nonce")
                );
            };

        let nonce = h
            .client
            .create_nonce(CreateNonceRequest {})
            .await
            .expect("nonce")
            .into_inner()
            .nonce;
        assert!(
            nonce.len() >= 32 && nonce.bytes().all(|b| b.is_ascii_hexdigit()),
            "{nonce}"
        );
        consume(&mut h.client, nonce.clone())
            .await
            .expect("first use");
        assert_unrecognised(consume(&mut h.client, nonce).await);
        assert_unrecognised(
            consume(&mut h.client, "0123456789abcdef0123456789abcdef".into()).await,
        );
        assert_unrecognised(consume(&mut h.client, String::new()).await);

        let almost = h
            .client
            .create_nonce(CreateNonceRequest {})
            .await
            .expect("nonce")
            .into_inner()
            .nonce;
        let late = h
            .client
            .create_nonce(CreateNonceRequest {})
            .await
            .expect("nonce")
            .into_inner()
            .nonce;
        h.advance(59_999);
        consume(&mut h.client, almost)
            .await
            .expect("still fresh just before 60 s");
        h.advance(1);
        assert_unrecognised(consume(&mut h.client, late.clone()).await);
        // Expired nonces are pruned; pruning leaves fresh ones alone.
        let fresh = h
            .client
            .create_nonce(CreateNonceRequest {})
            .await
            .expect("nonce")
            .into_inner()
            .nonce;
        let now = h.clock.load(Ordering::SeqCst);
        assert_eq!(
            h.store
                .prune_nonces(now - NONCE_TTL_MS)
                .await
                .expect("prune"),
            1
        );
        consume(&mut h.client, fresh)
            .await
            .expect("fresh survives pruning");
    }
);

bailiff_database::test_on_both_backends!(user_admin_rpcs, |db: Database| async move {
    let mut h = Harness::new(db).await;
    let missing = error(
        h.client
            .get_user(GetUserRequest {
                user_id: "@nobody:hs.test".into(),
            })
            .await,
    );
    assert_eq!(
        (missing.status, missing.errcode, missing.message.as_str()),
        (404, "M_NOT_FOUND", "User not found")
    );

    let bob = h.register("bob", "old password").await;
    h.client
        .set_admin(SetAdminRequest {
            user_id: "@bob:hs.test".into(),
            admin: true,
        })
        .await
        .expect("promote");
    assert_eq!(h.published(), ["@bob:hs.test"]);
    assert!(
        h.authenticate(&bob.access_token)
            .await
            .expect("auth")
            .is_admin
    );
    assert!(
        h.client
            .get_user(GetUserRequest {
                user_id: "@bob:hs.test".into()
            })
            .await
            .expect("get")
            .into_inner()
            .is_admin
    );
    h.client
        .set_admin(SetAdminRequest {
            user_id: "@bob:hs.test".into(),
            admin: false,
        })
        .await
        .expect("demote");
    assert_eq!(h.published(), ["@bob:hs.test"]);
    assert!(
        !h.authenticate(&bob.access_token)
            .await
            .expect("auth")
            .is_admin
    );
    let e = error(
        h.client
            .set_admin(SetAdminRequest {
                user_id: "@nobody:hs.test".into(),
                admin: true,
            })
            .await,
    );
    assert_eq!((e.status, e.errcode), (404, "M_NOT_FOUND"));

    let other = h
        .login("bob", "old password", Some("OTHER"))
        .await
        .expect("login");
    let e = error(
        h.client
            .reset_password(ResetPasswordRequest {
                user_id: "@nobody:hs.test".into(),
                new_password: "x".into(),
                ..Default::default()
            })
            .await,
    );
    assert_eq!((e.status, e.errcode), (404, "M_NOT_FOUND"));

    // Without logout: only the password changes.
    h.client
        .reset_password(ResetPasswordRequest {
            user_id: "@bob:hs.test".into(),
            new_password: "new password".into(),
            ..Default::default()
        })
        .await
        .expect("reset");
    assert!(h.published().is_empty());
    assert!(h.authenticate(&other.access_token).await.is_ok());
    assert_login_refused(h.login("bob", "old password", None).await);
    let third = h
        .login("bob", "new password", None)
        .await
        .expect("new password works");

    // With logout: everything but the kept device goes, and gateways are told.
    h.client
        .reset_password(ResetPasswordRequest {
            user_id: "@bob:hs.test".into(),
            new_password: "newer password".into(),
            logout_devices: true,
            keep_device_id: Some(bob.device_id.clone()),
        })
        .await
        .expect("reset with logout");
    assert_eq!(h.published(), ["@bob:hs.test"]);
    assert!(
        h.authenticate(&bob.access_token).await.is_ok(),
        "the caller's device is kept"
    );
    assert_unknown_token(h.authenticate(&other.access_token).await);
    assert_unknown_token(h.authenticate(&third.access_token).await);
    assert_eq!(
        h.store.device_ids("@bob:hs.test").await.expect("devices"),
        [bob.device_id.as_str()]
    );

    h.client
        .reset_password(ResetPasswordRequest {
            user_id: "@bob:hs.test".into(),
            new_password: "newest password".into(),
            logout_devices: true,
            keep_device_id: None,
        })
        .await
        .expect("reset, logout all");
    assert_unknown_token(h.authenticate(&bob.access_token).await);
    assert!(h.login("bob", "newest password", None).await.is_ok());
});

fn connection(device: &str, ip: &str, ua: &str, at: i64) -> Connection {
    Connection {
        user_id: "@bob:hs.test".into(),
        device_id: device.into(),
        ip: ip.into(),
        user_agent: ua.into(),
        last_seen_ms: at,
    }
}

bailiff_database::test_on_both_backends!(whois_groups_caps_and_orders, |db: Database| async move {
    let mut h = Harness::new(db).await;
    let mut batch: Vec<Connection> = (0..60)
        .map(|i| connection("LAPTOP", &format!("192.0.2.{i}"), "Element", 1_000 + i))
        .collect();
    batch.push(connection("PHONE", "198.51.100.1", "FluffyChat", 500));
    batch.push(connection("PHONE", "198.51.100.1", "FluffyChat", 900));
    batch.push(connection("PHONE", "198.51.100.1", "Element Android", 800));
    batch.push(connection("", "198.51.100.1", "no device", 800));
    h.client
        .record_connections(RecordConnectionsRequest { connections: batch })
        .await
        .expect("record");
    // A late, older report does not move last_seen back.
    h.client
        .record_connections(RecordConnectionsRequest {
            connections: vec![connection("PHONE", "198.51.100.1", "FluffyChat", 600)],
        })
        .await
        .expect("record");
    h.client
        .record_connections(RecordConnectionsRequest {
            connections: vec![],
        })
        .await
        .expect("empty batch");

    let whois = h
        .client
        .whois(WhoisRequest {
            user_id: "@bob:hs.test".into(),
        })
        .await
        .expect("whois")
        .into_inner();
    assert_eq!(whois.user_id, "@bob:hs.test");
    let devices: Vec<&str> = whois.devices.iter().map(|d| d.device_id.as_str()).collect();
    assert_eq!(devices, ["LAPTOP", "PHONE"]);
    let laptop = &whois.devices[0].connections;
    assert_eq!(laptop.len(), 50);
    assert_eq!(
        (laptop[0].ip.as_str(), laptop[0].last_seen_ms),
        ("192.0.2.59", 1_059)
    );
    assert_eq!(laptop[49].last_seen_ms, 1_010);
    let phone: Vec<(&str, i64)> = whois.devices[1]
        .connections
        .iter()
        .map(|c| (c.user_agent.as_str(), c.last_seen_ms))
        .collect();
    assert_eq!(phone, [("FluffyChat", 900), ("Element Android", 800)]);

    let nobody = h
        .client
        .whois(WhoisRequest {
            user_id: "@nobody:hs.test".into(),
        })
        .await
        .expect("whois")
        .into_inner();
    assert_eq!(nobody.user_id, "@nobody:hs.test");
    assert!(nobody.devices.is_empty());
});

bailiff_database::test_on_both_backends!(seeding_users_with_tokens, |db: Database| async move {
    let mut h = Harness::new(db).await;
    let localparts: Vec<String> = (0..2_000)
        .map(|i| format!("seed{i}"))
        .chain(["seed0".to_owned()])
        .collect();
    let seeded = h
        .client
        .seed_users(SeedUsersRequest {
            localparts,
            password: "shared pw".into(),
            with_tokens: true,
        })
        .await
        .expect("seed")
        .into_inner()
        .users;
    assert_eq!(seeded.len(), 2_000, "duplicates are seeded once");
    for user in [&seeded[0], &seeded[1_999]] {
        let me = h
            .authenticate(&user.access_token)
            .await
            .expect("seeded token works");
        assert_eq!(
            (me.user_id.as_str(), me.device_id.as_str()),
            (user.user_id.as_str(), user.device_id.as_str())
        );
    }
    assert!(h.login("seed1234", "shared pw", None).await.is_ok());

    let without = h
        .client
        .seed_users(SeedUsersRequest {
            localparts: vec!["plain".into()],
            password: "pw".into(),
            with_tokens: false,
        })
        .await
        .expect("seed")
        .into_inner()
        .users;
    assert_eq!(
        (
            without[0].user_id.as_str(),
            without[0].access_token.as_str()
        ),
        ("@plain:hs.test", "")
    );
    let e = error(
        h.client
            .seed_users(SeedUsersRequest {
                localparts: vec![String::new()],
                password: "pw".into(),
                with_tokens: false,
            })
            .await,
    );
    assert_eq!((e.status, e.errcode), (400, "M_INVALID_PARAM"));
});

#[tokio::test]
async fn database_faults_are_503_without_detail() {
    let test_db = bailiff_database::testing::TestDatabase::sqlite();
    let db = test_db.connect().await;
    let mut h = Harness::new(db.clone()).await;
    // Well-formed, so the lookup is attempted.
    let token = h.store.token_key().await.expect("key").mint();
    db.pool.close().await;
    let e = h.authenticate(&token).await.expect_err("database is gone");
    assert_eq!(
        (e.status, e.errcode, e.message.as_str()),
        (503, "M_UNAVAILABLE", "Service temporarily unavailable")
    );
    let e = error(h.client.create_nonce(CreateNonceRequest {}).await);
    assert_eq!((e.status, e.errcode), (503, "M_UNAVAILABLE"));
}

#[tokio::test]
async fn start_serves_the_accounts_service() {
    let test_db = bailiff_database::testing::TestDatabase::sqlite();
    let shutdown = tokio_util::sync::CancellationToken::new();
    let config = bailiff_config::Config {
        server_name: "example.org".into(),
        ..Default::default()
    };
    let routes = crate::start(crate::Deps {
        config: Arc::new(config),
        db: test_db.connect().await,
        bus: ReplicaBus::in_process(),
        tasks: tokio_util::task::TaskTracker::new(),
        shutdown: shutdown.clone(),
    })
    .await
    .expect("start");
    let mut client = AccountsClient::new(in_process(routes));
    let registered = client
        .register_user(RegisterUserRequest {
            localpart: "alice".into(),
            password: "pw".into(),
            ..Default::default()
        })
        .await
        .expect("register")
        .into_inner();
    assert_eq!(registered.user_id, "@alice:example.org");
    let e = error(
        client
            .register_user(RegisterUserRequest {
                localpart: "_server".into(),
                ..Default::default()
            })
            .await,
    );
    assert_eq!(
        e.errcode, "M_EXCLUSIVE",
        "the default notices localpart is reserved"
    );
    let nonce = client
        .create_nonce(CreateNonceRequest {})
        .await
        .expect("nonce")
        .into_inner()
        .nonce;
    client
        .consume_nonce(ConsumeNonceRequest { nonce })
        .await
        .expect("consume");
    shutdown.cancel();
}

bailiff_database::test_on_both_backends!(
    the_token_key_tells_minted_tokens_from_made_up_ones,
    |db: Database| async move {
        let mut h = Harness::new(db).await;
        let bob = h.register("bob", "pw123").await;
        let key = h
            .client
            .token_key(TokenKeyRequest {})
            .await
            .expect("token key")
            .into_inner()
            .key;
        let key = access_token::TokenKey::from_bytes(&key).expect("32 bytes");
        assert!(key.verify(&bob.access_token));
        // Minted with the key but never issued: the tag passes, the table refuses it.
        assert_unknown_token(h.authenticate(&key.mint()).await);
        // Made up: refused by its tag.
        let forged = format!("bft_{}_{}", "ab".repeat(32), "cd".repeat(16));
        assert_unknown_token(h.authenticate(&forged).await);
        assert!(h.authenticate(&bob.access_token).await.is_ok());
    }
);
