//! The service as a whole: faults, peers' bad input, and `start`.

use super::*;

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
    ids_that_do_not_parse_are_bad_arguments,
    |db: Database| async move {
        let mut h = Harness::new(db).await;
        // The gateway validates every ID it forwards; a peer that does not is told so,
        // as a 400 and never a fault.
        for user_id in ["", "bob", "@bob", "@:hs.test:x:y"] {
            let e = error(
                h.client
                    .get_user(GetUserRequest {
                        user_id: user_id.into(),
                    })
                    .await,
            );
            assert_eq!(
                (e.status, e.errcode, e.message.as_str()),
                (400, "M_INVALID_PARAM", "invalid user ID"),
                "{user_id:?}"
            );
        }
        let e = error(
            h.client
                .seed_users(SeedUsersRequest {
                    localparts: vec!["ok".into(), "a:b".into()],
                    password: "pw".into(),
                    with_tokens: false,
                })
                .await,
        );
        assert_eq!((e.status, e.errcode), (400, "M_INVALID_PARAM"));
        // Sightings of unparseable owners are dropped, the rest of the batch kept.
        h.client
            .record_connections(RecordConnectionsRequest {
                connections: vec![
                    Connection {
                        user_id: "not an id".into(),
                        ..connection("D", "10.0.0.1", "ua", 1)
                    },
                    connection("D", "10.0.0.2", "ua", 2),
                ],
            })
            .await
            .expect("record");
        let whois = h
            .client
            .whois(WhoisRequest {
                user_id: "@bob:hs.test".into(),
            })
            .await
            .expect("whois")
            .into_inner();
        assert_eq!(whois.devices.len(), 1);
        assert_eq!(whois.devices[0].connections.len(), 1);
    }
);
