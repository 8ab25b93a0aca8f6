//! docs/http-api.md §4: `POST /_synapse/admin/v1/reset_password/{userId}`.

use serde_json::json;

use crate::harness::*;

fn path(user: &str) -> String {
    format!("/_synapse/admin/v1/reset_password/{user}")
}

e2e!(synapse_reset_password_errors, |app: TestApp| async move {
    let admin = app.register_user("sradmin", true).await;
    let user = app.register_user("sruser", false).await;
    let token = Some(admin.access_token.as_str());
    let reply = app
        .post(
            &path(&user.user_id),
            Some(&user.access_token),
            &json!({"new_password": "x"}),
        )
        .await;
    assert_error(
        &reply,
        403,
        "M_FORBIDDEN",
        Some("You are not a server admin"),
    );
    let reply = app
        .post(&path("sruser"), token, &json!({"new_password": "x"}))
        .await;
    assert_error(&reply, 400, "M_INVALID_PARAM", None);
    let reply = app.post(&path(&user.user_id), token, &json!({})).await;
    assert_error(&reply, 400, "M_MISSING_PARAM", None);
    let reply = app
        .post(&path(&user.user_id), token, &json!({"new_password": 5}))
        .await;
    assert_error(&reply, 400, "M_BAD_JSON", None);
    let reply = app
        .post(&path(&user.user_id), token, &json!({"new_password": null}))
        .await;
    assert_error(&reply, 400, "M_BAD_JSON", None);
    let reply = app
        .send(
            app.request("POST", &path(&user.user_id))
                .bearer_auth(&admin.access_token)
                .body("nope"),
        )
        .await;
    assert_error(&reply, 400, "M_NOT_JSON", None);
    let reply = app
        .post(
            &path(&app.user_id("nobody")),
            token,
            &json!({"new_password": "x"}),
        )
        .await;
    assert_error(&reply, 404, "M_NOT_FOUND", Some("Unknown user"));
    let reply = app
        .post(
            &path("@sruser:elsewhere.example"),
            token,
            &json!({"new_password": "x"}),
        )
        .await;
    assert_error(&reply, 404, "M_NOT_FOUND", Some("Unknown user"));
});

e2e!(
    synapse_reset_password_logs_out_by_default,
    |app: TestApp| async move {
        let admin = app.register_user("sradmin2", true).await;
        let user = app.register_user("sruser2", false).await;
        let token = Some(admin.access_token.as_str());
        // No length policy here; logout_devices defaults to true.
        let body = assert_ok(
            app.post(&path(&user.user_id), token, &json!({"new_password": "x"}))
                .await,
        );
        assert_eq!(body, json!({}));
        let reply = app
            .get(
                "/_matrix/client/v3/account/whoami",
                Some(&user.access_token),
            )
            .await;
        assert_error(&reply, 401, "M_UNKNOWN_TOKEN", None);
        let (_, login) = app.login("sruser2", "x").await;
        let new_token = login["access_token"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        assert!(!new_token.is_empty(), "{login}");
        // logout_devices false keeps the tokens.
        let encoded = user.user_id.replace('@', "%40").replace(':', "%3A");
        let body = assert_ok(
            app.post(
                &path(&encoded),
                token,
                &json!({"new_password": "y", "logout_devices": false}),
            )
            .await,
        );
        assert_eq!(body, json!({}));
        assert_ok(
            app.get("/_matrix/client/v3/account/whoami", Some(&new_token))
                .await,
        );
        assert_ok(app.login("sruser2", "y").await);
    }
);
