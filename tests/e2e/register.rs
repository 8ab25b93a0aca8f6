//! docs/http-api.md §4: shared-secret registration, `GET`/`POST /_synapse/admin/v1/register`.

use serde_json::{Value, json};

use crate::harness::*;

const PATH: &str = "/_synapse/admin/v1/register";

/// A complete, correctly signed body for `username`/`password`.
fn signed(
    app: &TestApp,
    nonce: &str,
    username: &str,
    password: &str,
    admin: bool,
    user_type: Option<&str>,
) -> Value {
    json!({
        "nonce": nonce,
        "username": username,
        "password": password,
        "admin": admin,
        "user_type": user_type,
        "mac": app.mac(nonce, username, password, admin, user_type),
    })
}

#[test]
fn mac_test_vectors() {
    let mac = gateway::registration_mac;
    assert_eq!(
        mac("s3cret", "n0nce", "bob", "pw123", false, None),
        "8573fba163486ff7fd1bbb8d8ddbd42f8e2105c8"
    );
    assert_eq!(
        mac("s3cret", "n0nce", "boss", "pw123", true, None),
        "22a5d25f3eaee163eb99257c0e664e32a611435e"
    );
    assert_eq!(
        mac("s3cret", "n0nce", "bot1", "pw123", false, Some("bot")),
        "def4ef287232a0d7c6d490960758d4994a811a62"
    );
    // An empty user type is not part of the MAC.
    assert_eq!(
        mac("s3cret", "n0nce", "bob", "pw123", false, Some("")),
        "8573fba163486ff7fd1bbb8d8ddbd42f8e2105c8"
    );
}

e2e!(nonces_are_fresh_hex, |app: TestApp| async move {
    let first = app.nonce().await;
    let second = app.nonce().await;
    for nonce in [&first, &second] {
        assert!(
            nonce.len() >= 32 && nonce.chars().all(|c| c.is_ascii_hexdigit()),
            "{nonce}"
        );
    }
    assert_ne!(first, second);
});

e2e!(
    disabled_without_a_shared_secret,
    config = |c: &mut bailiff_config::Config| c.registration_shared_secret = None,
    |app: TestApp| async move {
        let text = Some("Shared secret registration is not enabled");
        assert_error(&app.get(PATH, None).await, 400, "M_UNKNOWN", text);
        let reply = app
            .post(
                PATH,
                None,
                &json!({"nonce": "x", "username": "a", "password": "b", "mac": "c"}),
            )
            .await;
        assert_error(&reply, 400, "M_UNKNOWN", text);
        let reply = app.send(app.request("POST", PATH).body("not json")).await;
        assert_error(&reply, 400, "M_UNKNOWN", text);
    }
);

e2e!(registers_users, |app: TestApp| async move {
    let nonce = app.nonce().await;
    let body = assert_ok(
        app.post(
            PATH,
            None,
            &signed(&app, &nonce, "newbie", "pw123", false, None),
        )
        .await,
    );
    assert_eq!(body["user_id"], app.user_id("newbie"));
    assert_eq!(body["home_server"], SERVER_NAME);
    let device = body["device_id"].as_str().unwrap_or_default();
    assert!(
        device.len() == 10 && device.chars().all(|c| c.is_ascii_uppercase()),
        "{body}"
    );
    let token = body["access_token"].as_str().unwrap_or_default();
    let whoami = assert_ok(
        app.get("/_matrix/client/v3/account/whoami", Some(token))
            .await,
    );
    assert_eq!(whoami["user_id"], app.user_id("newbie"));
    // Not an admin.
    let reply = app
        .get("/_synapse/admin/v1/federation/destinations", Some(token))
        .await;
    assert_error(&reply, 403, "M_FORBIDDEN", None);
    // The password is not policy-checked and works for login.
    assert_ok(app.login("newbie", "pw123").await);

    // An admin, with the username lower-cased after the MAC check.
    let nonce = app.nonce().await;
    let body = assert_ok(
        app.post(
            PATH,
            None,
            &signed(&app, &nonce, "BigBoss", "pw123", true, None),
        )
        .await,
    );
    assert_eq!(body["user_id"], app.user_id("bigboss"));
    let token = body["access_token"].as_str().unwrap_or_default();
    assert_ok(
        app.get("/_synapse/admin/v1/federation/destinations", Some(token))
            .await,
    );

    // A bot, with the user type in the MAC.
    let nonce = app.nonce().await;
    assert_ok(
        app.post(
            PATH,
            None,
            &signed(&app, &nonce, "bot1", "pw123", false, Some("bot")),
        )
        .await,
    );
    let nonce = app.nonce().await;
    assert_ok(
        app.post(
            PATH,
            None,
            &signed(&app, &nonce, "helpdesk", "pw123", false, Some("support")),
        )
        .await,
    );

    // A chosen device ID; display names accepted.
    let nonce = app.nonce().await;
    let mut request = signed(&app, &nonce, "withdevice", "pw123", false, None);
    request["device_id"] = json!("CHOSENDEV");
    request["displayname"] = json!("With Device");
    request["initial_device_display_name"] = json!("laptop");
    let body = assert_ok(app.post(PATH, None, &request).await);
    assert_eq!(body["device_id"], "CHOSENDEV");

    // inhibit_login: no token, no device.
    let nonce = app.nonce().await;
    let mut request = signed(&app, &nonce, "nologin", "pw123", false, None);
    request["inhibit_login"] = json!(true);
    let body = assert_ok(app.post(PATH, None, &request).await);
    assert_eq!(
        body,
        json!({"user_id": app.user_id("nologin"), "home_server": SERVER_NAME})
    );
    assert_ok(app.login("nologin", "pw123").await);
});

e2e!(nonce_is_single_use, |app: TestApp| async move {
    let nonce = app.nonce().await;
    assert_ok(
        app.post(
            PATH,
            None,
            &signed(&app, &nonce, "once", "pw123", false, None),
        )
        .await,
    );
    let reply = app
        .post(
            PATH,
            None,
            &signed(&app, &nonce, "twice", "pw123", false, None),
        )
        .await;
    assert_error(&reply, 400, "M_UNKNOWN", Some("unrecognised nonce"));
    // A failed POST consumes the nonce too.
    let nonce = app.nonce().await;
    let reply = app.post(PATH, None, &json!({"nonce": nonce})).await;
    assert_error(&reply, 400, "M_MISSING_PARAM", None);
    let reply = app
        .post(
            PATH,
            None,
            &signed(&app, &nonce, "thrice", "pw123", false, None),
        )
        .await;
    assert_error(&reply, 400, "M_UNKNOWN", Some("unrecognised nonce"));
    // So does a wrong MAC.
    let nonce = app.nonce().await;
    let mut request = signed(&app, &nonce, "wrongmac", "pw123", false, None);
    request["mac"] = json!("0".repeat(40));
    assert_error(
        &app.post(PATH, None, &request).await,
        403,
        "M_FORBIDDEN",
        Some("HMAC incorrect"),
    );
    let reply = app
        .post(
            PATH,
            None,
            &signed(&app, &nonce, "wrongmac", "pw123", false, None),
        )
        .await;
    assert_error(&reply, 400, "M_UNKNOWN", Some("unrecognised nonce"));
    // Unknown nonce.
    let reply = app
        .post(
            PATH,
            None,
            &signed(&app, "deadbeef", "unknown", "pw123", false, None),
        )
        .await;
    assert_error(&reply, 400, "M_UNKNOWN", Some("unrecognised nonce"));
});

e2e!(checks_run_in_the_pinned_order, |app: TestApp| async move {
    // Body.
    assert_error(
        &app.send(app.request("POST", PATH).body("not json")).await,
        400,
        "M_NOT_JSON",
        None,
    );
    assert_error(
        &app.send(app.request("POST", PATH).body("[]")).await,
        400,
        "M_BAD_JSON",
        None,
    );
    // Nonce missing, even with everything else wrong.
    let reply = app
        .post(PATH, None, &json!({"username": 1, "password": 2, "mac": 3}))
        .await;
    assert_error(&reply, 400, "M_MISSING_PARAM", None);
    // Unknown nonce before username checks.
    let reply = app
        .post(PATH, None, &json!({"nonce": "nope", "username": 1}))
        .await;
    assert_error(&reply, 400, "M_UNKNOWN", Some("unrecognised nonce"));

    async fn with(app: &TestApp, fields: Value) -> Reply {
        let nonce = app.nonce().await;
        let mut body = json!({"nonce": nonce});
        if let (Some(body), Some(fields)) = (body.as_object_mut(), fields.as_object()) {
            body.extend(fields.clone());
        }
        app.post(PATH, None, &body).await
    }
    let long = "a".repeat(513);
    // Username: missing, then invalid (type, length, NUL) — before password checks.
    assert_error(
        &with(&app, json!({"password": 5})).await,
        400,
        "M_MISSING_PARAM",
        None,
    );
    for username in [json!(5), json!(null), json!(long), json!("a\u{0}b")] {
        let reply = with(&app, json!({"username": username, "password": 5})).await;
        assert_error(&reply, 400, "M_INVALID_PARAM", Some("Invalid username"));
    }
    // Password: same rules.
    assert_error(
        &with(&app, json!({"username": "u", "user_type": 5})).await,
        400,
        "M_MISSING_PARAM",
        None,
    );
    for password in [json!(5), json!([]), json!(long), json!("a\u{0}b")] {
        let reply = with(
            &app,
            json!({"username": "u", "password": password, "user_type": 5}),
        )
        .await;
        assert_error(&reply, 400, "M_INVALID_PARAM", Some("Invalid password"));
    }
    // 512 characters (more bytes) is fine as far as length goes: the MAC is checked next.
    let reply = with(
        &app,
        json!({"username": "é".repeat(512), "password": "p", "mac": "x"}),
    )
    .await;
    assert_error(&reply, 403, "M_FORBIDDEN", Some("HMAC incorrect"));
    // User type.
    for user_type in [json!("admin"), json!(""), json!(3)] {
        let reply = with(
            &app,
            json!({"username": "u", "password": "p", "user_type": user_type, "admin": "no"}),
        )
        .await;
        assert_error(&reply, 400, "M_INVALID_PARAM", Some("Invalid user type"));
    }
    // Admin flag type.
    for admin in [json!("yes"), json!(1), json!(null)] {
        let reply = with(
            &app,
            json!({"username": "u", "password": "p", "admin": admin}),
        )
        .await;
        assert_error(&reply, 400, "M_BAD_JSON", None);
    }
    // MAC missing, then wrong.
    assert_error(
        &with(
            &app,
            json!({"username": "u", "password": "p", "user_type": null}),
        )
        .await,
        400,
        "M_MISSING_PARAM",
        None,
    );
    let reply = with(
        &app,
        json!({"username": "u", "password": "p", "mac": "abc"}),
    )
    .await;
    assert_error(&reply, 403, "M_FORBIDDEN", Some("HMAC incorrect"));
    // A MAC for different details (admin flag flipped) is wrong.
    let nonce = app.nonce().await;
    let mut request = signed(&app, &nonce, "flipper", "pw123", false, None);
    request["admin"] = json!(true);
    assert_error(
        &app.post(PATH, None, &request).await,
        403,
        "M_FORBIDDEN",
        Some("HMAC incorrect"),
    );
});

e2e!(
    usernames_are_validated_after_the_mac,
    |app: TestApp| async move {
        let too_long = "a".repeat(255 - SERVER_NAME.len() - 1);
        for username in [
            "",
            "a b",
            "_hidden",
            "12345",
            "ünïcode",
            "colon:name",
            too_long.as_str(),
        ] {
            let nonce = app.nonce().await;
            let reply = app
                .post(
                    PATH,
                    None,
                    &signed(&app, &nonce, username, "pw123", false, None),
                )
                .await;
            assert_error(&reply, 400, "M_INVALID_USERNAME", None);
        }
        // The longest acceptable user ID is 255 bytes.
        let longest = "a".repeat(255 - SERVER_NAME.len() - 2);
        let nonce = app.nonce().await;
        assert_ok(
            app.post(
                PATH,
                None,
                &signed(&app, &nonce, &longest, "pw123", false, None),
            )
            .await,
        );
        // Taken (also case-insensitively).
        let nonce = app.nonce().await;
        assert_ok(
            app.post(
                PATH,
                None,
                &signed(&app, &nonce, "taken", "pw123", false, None),
            )
            .await,
        );
        for username in ["taken", "TAKEN"] {
            let nonce = app.nonce().await;
            let reply = app
                .post(
                    PATH,
                    None,
                    &signed(&app, &nonce, username, "pw123", false, None),
                )
                .await;
            assert_error(&reply, 400, "M_USER_IN_USE", Some("User ID already taken."));
        }
        // The server-notices localpart is reserved.
        let nonce = app.nonce().await;
        let local_part = app.config.server_notices.local_part.clone();
        let reply = app
            .post(
                PATH,
                None,
                &signed(&app, &nonce, &local_part, "pw123", false, None),
            )
            .await;
        assert_error(
            &reply,
            400,
            "M_EXCLUSIVE",
            Some("This user ID is reserved."),
        );
    }
);

e2e!(
    register_user_command_uses_the_flow,
    |app: TestApp| async move {
        let request = bailiff::register_user::Request {
            base_url: app.base_url.clone(),
            shared_secret: app.secret.clone().unwrap_or_default(),
            localpart: "cliadmin".into(),
            password: "cli-password".into(),
            admin: true,
        };
        let user_id = bailiff::register_user::register(&request)
            .await
            .unwrap_or_else(|e| panic!("register-user: {e:#}"));
        assert_eq!(user_id, app.user_id("cliadmin"));
        let (_, login) = app.login("cliadmin", "cli-password").await;
        let token = login["access_token"].as_str().unwrap_or_default();
        assert_ok(
            app.get("/_synapse/admin/v1/federation/destinations", Some(token))
                .await,
        );
    }
);

/// Nonces are shared by all replicas: one issued by a gateway works on another, once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nonces_are_shared_by_replicas() {
    let app = spawn_app(Mode::Distributed).await;
    let replica = app.spawn_gateway_replica().await;
    let nonce = app.nonce().await;
    let post = |body: Value| {
        let request = app.client.post(format!("{replica}{PATH}")).json(&body);
        app.send(request)
    };
    assert_ok(post(signed(&app, &nonce, "acrossreplicas", "pw123", false, None)).await);
    let reply = post(signed(&app, &nonce, "acrossagain", "pw123", false, None)).await;
    assert_error(&reply, 400, "M_UNKNOWN", Some("unrecognised nonce"));
    app.stop().await;
}
