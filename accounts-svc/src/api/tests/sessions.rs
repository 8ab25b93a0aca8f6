//! Login, logout, token checks and the token key.

use super::*;

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
            .device_ids(&id("@bob:hs.test"))
            .await
            .expect("devices")
            .iter()
            .any(|device| device == "PHONE")
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
            .device_ids(&id("@bob:hs.test"))
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
        .set_deactivated(&id("@bob:hs.test"), true)
        .await
        .expect("deactivate");
    assert_unknown_token(h.authenticate(&token).await);
    // docs/http-api.md §7: a deactivated account says so at login (Synapse's answer).
    let error = h
        .login("bob", "correct horse", None)
        .await
        .expect_err("deactivated");
    assert_eq!(
        (error.status, error.errcode, error.message.as_str()),
        (
            403,
            "M_USER_DEACTIVATED",
            "This account has been deactivated"
        )
    );
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
                    user_id: &id("@imported:hs.test"),
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
