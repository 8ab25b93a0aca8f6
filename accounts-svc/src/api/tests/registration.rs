//! Shared-secret registration, its nonces, and bulk seeding.

use super::*;

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
        .user(&id("@boss:hs.test"))
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
            .device_ids(&id("@quiet:hs.test"))
            .await
            .expect("devices")
            .is_empty()
    );
    assert!(
        h.login("quiet", "pw123", None).await.is_ok(),
        "the password still works"
    );
});

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
