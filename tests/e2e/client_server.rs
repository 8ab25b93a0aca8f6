//! docs/http-api.md §5: versions, login, logout, logout/all, whoami — under r0 and v3.

use serde_json::json;

use crate::harness::*;

e2e!(versions_without_auth, |app: TestApp| async move {
    let body = assert_ok(app.get("/_matrix/client/versions", None).await);
    let versions: Vec<&str> = body["versions"]
        .as_array()
        .map(|v| v.iter().filter_map(|s| s.as_str()).collect())
        .unwrap_or_default();
    assert!(
        versions.contains(&"r0.6.1") && versions.contains(&"v1.1"),
        "{body}"
    );
});

e2e!(login_flows_and_password_login, |app: TestApp| async move {
    let user = app.register_user("loginuser", false).await;
    for version in ["r0", "v3"] {
        let login = format!("/_matrix/client/{version}/login");
        let body = assert_ok(app.get(&login, None).await);
        assert!(
            body["flows"]
                .as_array()
                .is_some_and(|f| f.iter().any(|f| f["type"] == "m.login.password")),
            "{body}"
        );

        let requests = [
            json!({"type": "m.login.password", "identifier": {"type": "m.id.user", "user": "loginuser"}, "password": user.password}),
            json!({"type": "m.login.password", "identifier": {"type": "m.id.user", "user": user.user_id}, "password": user.password}),
            json!({"type": "m.login.password", "user": "loginuser", "password": user.password}),
            json!({"type": "m.login.password", "user": user.user_id, "password": user.password}),
        ];
        for request in requests {
            let body = assert_ok(app.post(&login, None, &request).await);
            assert_eq!(body["user_id"], user.user_id.as_str(), "{body}");
            assert_eq!(body["home_server"], SERVER_NAME, "{body}");
            assert!(
                body["access_token"].as_str().is_some_and(|t| !t.is_empty()),
                "{body}"
            );
            assert!(
                body["device_id"].as_str().is_some_and(|t| !t.is_empty()),
                "{body}"
            );
            let token = body["access_token"].as_str().unwrap_or_default();
            let whoami = assert_ok(
                app.get(
                    &format!("/_matrix/client/{version}/account/whoami"),
                    Some(token),
                )
                .await,
            );
            assert_eq!(
                whoami,
                json!({"user_id": user.user_id, "device_id": body["device_id"]})
            );
        }
        // A chosen device ID is used.
        let body = assert_ok(
            app.post(&login, None, &json!({"type": "m.login.password", "user": "loginuser", "password": user.password, "device_id": "MYDEVICE"}))
                .await,
        );
        assert_eq!(body["device_id"], "MYDEVICE");
        // Wrong password, unknown user, remote user.
        for request in [
            json!({"type": "m.login.password", "user": "loginuser", "password": "wrong"}),
            json!({"type": "m.login.password", "user": "nosuchuser", "password": "wrong"}),
            json!({"type": "m.login.password", "identifier": {"type": "m.id.user", "user": "@loginuser:elsewhere.example"}, "password": user.password}),
        ] {
            let reply = app.post(&login, None, &request).await;
            assert_error(
                &reply,
                403,
                "M_FORBIDDEN",
                Some("Invalid username or password"),
            );
        }
        // Malformed requests.
        let reply = app
            .post(
                &login,
                None,
                &json!({"type": "m.login.token", "token": "x"}),
            )
            .await;
        assert_error(&reply, 400, "M_UNKNOWN", None);
        let reply = app
            .post(
                &login,
                None,
                &json!({"type": "m.login.password", "password": "x"}),
            )
            .await;
        assert_error(&reply, 400, "M_MISSING_PARAM", None);
        let reply = app
            .post(
                &login,
                None,
                &json!({"type": "m.login.password", "user": "loginuser"}),
            )
            .await;
        assert_error(&reply, 400, "M_MISSING_PARAM", None);
        let reply = app
            .post(&login, None, &json!({"user": "loginuser", "password": "x"}))
            .await;
        assert_error(&reply, 400, "M_MISSING_PARAM", None);
    }
});

e2e!(whoami_and_logout, |app: TestApp| async move {
    let user = app.register_user("logoutuser", false).await;
    for version in ["r0", "v3"] {
        let (_, login) = app.login("logoutuser", &user.password).await;
        let token = login["access_token"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        let whoami = format!("/_matrix/client/{version}/account/whoami");
        assert_eq!(
            assert_ok(app.get(&whoami, Some(&token)).await),
            json!({"user_id": user.user_id, "device_id": login["device_id"]})
        );
        let body = assert_ok(
            app.post(
                &format!("/_matrix/client/{version}/logout"),
                Some(&token),
                &json!({}),
            )
            .await,
        );
        assert_eq!(body, json!({}));
        let reply = app.get(&whoami, Some(&token)).await;
        assert_error(
            &reply,
            401,
            "M_UNKNOWN_TOKEN",
            Some("Invalid access token passed."),
        );
        // Other devices are untouched.
        assert_ok(app.get(&whoami, Some(&user.access_token)).await);
    }
    let reply = app
        .post("/_matrix/client/v3/logout", None, &json!({}))
        .await;
    assert_error(&reply, 401, "M_MISSING_TOKEN", None);
});

e2e!(logout_all_revokes_every_device, |app: TestApp| async move {
    let user = app.register_user("logoutall", false).await;
    for version in ["r0", "v3"] {
        let (_, first) = app.login("logoutall", &user.password).await;
        let (_, second) = app.login("logoutall", &user.password).await;
        let tokens: Vec<String> = [&first, &second]
            .iter()
            .map(|b| b["access_token"].as_str().unwrap_or_default().to_owned())
            .collect();
        for token in &tokens {
            assert_ok(
                app.get("/_matrix/client/v3/account/whoami", Some(token))
                    .await,
            );
        }
        let body = assert_ok(
            app.post(
                &format!("/_matrix/client/{version}/logout/all"),
                Some(&tokens[0]),
                &json!({}),
            )
            .await,
        );
        assert_eq!(body, json!({}));
        for token in tokens.iter().chain([&user.access_token]) {
            let reply = app
                .get("/_matrix/client/v3/account/whoami", Some(token))
                .await;
            assert_error(&reply, 401, "M_UNKNOWN_TOKEN", None);
        }
    }
    let reply = app
        .post("/_matrix/client/r0/logout/all", Some("bogus"), &json!({}))
        .await;
    assert_error(&reply, 401, "M_UNKNOWN_TOKEN", None);
});
