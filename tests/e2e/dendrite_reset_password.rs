//! docs/http-api.md §3: `POST /_dendrite/admin/resetPassword/{userID}`.

use serde_json::json;

use crate::harness::*;

fn path(user: &str) -> String {
    format!("/_dendrite/admin/resetPassword/{user}")
}

e2e!(reset_password_checks_in_order, |app: TestApp| async move {
    let admin = app.register_user("dradmin", true).await;
    let user = app.register_user("druser", false).await;
    let token = Some(admin.access_token.as_str());
    let good = json!({"password": "a-good-password"});

    // Non-admin, then no token.
    let reply = app
        .post(&path("druser"), Some(&user.access_token), &good)
        .await;
    assert_error(
        &reply,
        403,
        "M_FORBIDDEN",
        Some("You are not a server admin"),
    );
    let reply = app.post(&path("druser"), None, &good).await;
    assert_error(&reply, 401, "M_MISSING_TOKEN", None);
    // Malformed.
    for bad in ["@druser", "dr:user", "%ZZ", "@:bailiff.test", "a%20b"] {
        let reply = app.post(&path(bad), token, &good).await;
        assert_error(&reply, 400, "M_INVALID_PARAM", None);
    }
    // Remote.
    let reply = app
        .post(&path("@druser:elsewhere.example"), token, &good)
        .await;
    assert_error(&reply, 400, "M_INVALID_PARAM", None);
    // No such user, before any body error.
    let reply = app.post(&path("nobody"), token, &good).await;
    assert_error(&reply, 404, "M_NOT_FOUND", Some("User does not exist"));
    let reply = app
        .send(
            app.request("POST", &path("nobody"))
                .bearer_auth(&admin.access_token)
                .body("not json"),
        )
        .await;
    assert_error(&reply, 404, "M_NOT_FOUND", Some("User does not exist"));
    // Body errors.
    let reply = app
        .send(
            app.request("POST", &path("druser"))
                .bearer_auth(&admin.access_token)
                .body("not json"),
        )
        .await;
    assert_error(&reply, 400, "M_NOT_JSON", None);
    let reply = app
        .send(
            app.request("POST", &path("druser"))
                .bearer_auth(&admin.access_token)
                .body("[]"),
        )
        .await;
    assert_error(&reply, 400, "M_BAD_JSON", None);
    let reply = app
        .post(&path("druser"), token, &json!({"password": 12345678}))
        .await;
    assert_error(&reply, 400, "M_BAD_JSON", None);
    let reply = app
        .post(
            &path("druser"),
            token,
            &json!({"password": "a-good-password", "logout_devices": "yes"}),
        )
        .await;
    assert_error(&reply, 400, "M_BAD_JSON", None);
    // Missing or empty password.
    let reply = app.post(&path("druser"), token, &json!({})).await;
    assert_error(&reply, 400, "M_MISSING_PARAM", None);
    let reply = app
        .send(
            app.request("POST", &path("druser"))
                .bearer_auth(&admin.access_token),
        )
        .await;
    assert_error(&reply, 400, "M_MISSING_PARAM", None);
    let reply = app
        .post(&path("druser"), token, &json!({"password": ""}))
        .await;
    assert_error(&reply, 400, "M_MISSING_PARAM", None);
    // Too long (bytes, not characters), then too short.
    let reply = app
        .post(
            &path("druser"),
            token,
            &json!({"password": "x".repeat(513)}),
        )
        .await;
    assert_error(
        &reply,
        400,
        "M_BAD_JSON",
        Some("password too long: max 512 characters"),
    );
    let reply = app
        .post(
            &path("druser"),
            token,
            &json!({"password": "é".repeat(257)}),
        )
        .await;
    assert_error(
        &reply,
        400,
        "M_BAD_JSON",
        Some("password too long: max 512 characters"),
    );
    let reply = app
        .post(&path("druser"), token, &json!({"password": "1234567"}))
        .await;
    assert_error(
        &reply,
        400,
        "M_WEAK_PASSWORD",
        Some("password too weak: min 8 characters"),
    );
    // The bounds themselves are accepted.
    for password in ["12345678".to_owned(), "y".repeat(512)] {
        let body = assert_ok(
            app.post(&path("druser"), token, &json!({"password": password}))
                .await,
        );
        assert_eq!(body, json!({"password_updated": true}));
    }
});

e2e!(
    reset_password_changes_the_password,
    |app: TestApp| async move {
        let admin = app.register_user("dradmin2", true).await;
        let user = app.register_user("druser2", false).await;
        let token = Some(admin.access_token.as_str());
        // Bare localpart, full ID and percent-encoded full ID all name the user.
        let encoded = user.user_id.replace('@', "%40").replace(':', "%3A");
        for (i, id) in ["druser2", user.user_id.as_str(), encoded.as_str()]
            .into_iter()
            .enumerate()
        {
            let password = format!("new-password-{i}");
            let body = assert_ok(
                app.post(&path(id), token, &json!({"password": password}))
                    .await,
            );
            assert_eq!(body, json!({"password_updated": true}));
            assert_ok(app.login("druser2", &password).await);
        }
        let reply = app.login("druser2", &user.password).await;
        assert_error(
            &reply,
            403,
            "M_FORBIDDEN",
            Some("Invalid username or password"),
        );
        // logout_devices defaults to false: the user's token still works.
        assert_ok(
            app.get(
                "/_matrix/client/v3/account/whoami",
                Some(&user.access_token),
            )
            .await,
        );
    }
);

e2e!(
    reset_password_logout_devices_keeps_the_callers_own,
    |app: TestApp| async move {
        let admin = app.register_user("dradmin3", true).await;
        let user = app.register_user("druser3", false).await;
        // Revokes the target's tokens.
        let body = assert_ok(
            app.post(
                &path("druser3"),
                Some(&admin.access_token),
                &json!({"password": "another-password", "logout_devices": true}),
            )
            .await,
        );
        assert_eq!(body, json!({"password_updated": true}));
        let reply = app
            .get(
                "/_matrix/client/v3/account/whoami",
                Some(&user.access_token),
            )
            .await;
        assert_error(&reply, 401, "M_UNKNOWN_TOKEN", None);
        // An admin resetting their own password keeps the device they called from.
        let (_, second) = app.login("dradmin3", &admin.password).await;
        let second_token = second["access_token"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        assert_ok(
            app.get("/_matrix/client/v3/account/whoami", Some(&second_token))
                .await,
        );
        assert_ok(
            app.post(
                &path("dradmin3"),
                Some(&admin.access_token),
                &json!({"password": "admin-new-password", "logout_devices": true}),
            )
            .await,
        );
        assert_ok(
            app.get(
                "/_matrix/client/v3/account/whoami",
                Some(&admin.access_token),
            )
            .await,
        );
        let reply = app
            .get("/_matrix/client/v3/account/whoami", Some(&second_token))
            .await;
        assert_error(&reply, 401, "M_UNKNOWN_TOKEN", None);
    }
);
