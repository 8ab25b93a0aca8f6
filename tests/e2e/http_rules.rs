//! docs/http-api.md §1: rules for every endpoint.

use reqwest::StatusCode;
use serde_json::json;

use crate::harness::*;

fn assert_cors(headers: &reqwest::header::HeaderMap) {
    let get = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    };
    assert_eq!(get("access-control-allow-origin"), "*");
    assert_eq!(
        get("access-control-allow-methods"),
        "GET, HEAD, POST, PUT, DELETE, OPTIONS"
    );
    assert_eq!(
        get("access-control-allow-headers"),
        "X-Requested-With, Content-Type, Authorization, Date, traceparent, tracestate"
    );
}

e2e!(
    unknown_path_is_404_unrecognized,
    |app: TestApp| async move {
        for path in [
            "/",
            "/nope",
            "/_matrix/client/v3/nope",
            "/_matrix/client/v9/login",
            "/_synapse/admin/v1/register/",
        ] {
            let reply = app.get(path, None).await;
            assert_error(&reply, 404, "M_UNRECOGNIZED", Some("Unrecognized request"));
        }
    }
);

e2e!(
    wrong_method_is_405_unrecognized,
    |app: TestApp| async move {
        for (method, path) in [
            ("PUT", "/_matrix/client/v3/login"),
            ("DELETE", "/_matrix/client/r0/login"),
            ("GET", "/_matrix/client/v3/logout"),
            ("POST", "/_matrix/client/v3/account/whoami"),
            ("PATCH", "/_synapse/admin/v1/register"),
            ("GET", "/_dendrite/admin/resetPassword/alice"),
            ("POST", "/_synapse/admin/v1/server_version"),
            ("POST", "/_matrix/client/versions"),
        ] {
            let reply = app.call(method, path, None, None).await;
            assert_error(&reply, 405, "M_UNRECOGNIZED", Some("Unrecognized request"));
        }
    }
);

e2e!(
    errors_are_compact_json_with_both_keys,
    |app: TestApp| async move {
        let response = app
            .request("GET", "/nope")
            .send()
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            response
                .headers()
                .get("content-type")
                .and_then(|v| v.to_str().ok()),
            Some("application/json")
        );
        let text = response.text().await.unwrap_or_default();
        assert_eq!(
            text,
            r#"{"errcode":"M_UNRECOGNIZED","error":"Unrecognized request"}"#
        );
    }
);

e2e!(cors_on_every_response, |app: TestApp| async move {
    let admin = app.register_user("corsadmin", true).await;
    let cases = [
        app.request("GET", "/_matrix/client/versions"),
        app.request("GET", "/nope"),
        app.request("PUT", "/_matrix/client/v3/login"),
        app.request("GET", "/_matrix/client/v3/account/whoami"),
        app.request("GET", "/_synapse/admin/v1/server_version")
            .bearer_auth(&admin.access_token),
        app.request("POST", "/_matrix/client/v3/login")
            .body("not json"),
        app.request("POST", "/_matrix/client/v3/login")
            .body(vec![b' '; 70 * 1024]),
    ];
    for request in cases {
        let response = request.send().await.unwrap_or_else(|e| panic!("{e}"));
        assert_cors(response.headers());
    }
});

e2e!(
    options_preflight_is_200_empty_object_before_auth,
    |app: TestApp| async move {
        for path in [
            "/_synapse/admin/v1/server_version",
            "/_dendrite/admin/resetPassword/alice",
            "/_matrix/client/v3/account/whoami",
            "/nope",
        ] {
            let response = app
                .request("OPTIONS", path)
                .header("Origin", "https://example.org")
                .header("Access-Control-Request-Method", "POST")
                .send()
                .await
                .unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(response.status(), StatusCode::OK, "{path}");
            assert_cors(response.headers());
            let body: serde_json::Value = response.json().await.unwrap_or_default();
            assert_eq!(body, json!({}), "{path}");
        }
    }
);

e2e!(
    path_parameters_raw_or_percent_encoded,
    |app: TestApp| async move {
        let alice = app.register_user("pathalice", false).await;
        let encoded = alice.user_id.replace('@', "%40").replace(':', "%3A");
        for id in [alice.user_id.as_str(), encoded.as_str()] {
            let body = assert_ok(
                app.get(
                    &format!("/_synapse/admin/v1/whois/{id}"),
                    Some(&alice.access_token),
                )
                .await,
            );
            assert_eq!(body["user_id"], alice.user_id.as_str());
        }
        let admin = app.register_user("pathadmin", true).await;
        for id in ["%ZZ", "%", "%40alice%3", "%FF%FE"] {
            let reply = app
                .get(
                    &format!("/_synapse/admin/v1/whois/{id}"),
                    Some(&admin.access_token),
                )
                .await;
            assert_error(&reply, 400, "M_INVALID_PARAM", None);
        }
    }
);

e2e!(body_limit_is_64_kib, |app: TestApp| async move {
    let big = format!(
        r#"{{"type":"m.login.password","pad":"{}"}}"#,
        "x".repeat(70 * 1024)
    );
    let reply = app
        .send(app.request("POST", "/_matrix/client/v3/login").body(big))
        .await;
    assert_error(&reply, 413, "M_TOO_LARGE", None);
    // Just under the limit is parsed normally (and fails on content instead).
    let fits = format!(
        r#"{{"type":"m.login.password","pad":"{}"}}"#,
        "x".repeat(60 * 1024)
    );
    let reply = app
        .send(app.request("POST", "/_matrix/client/v3/login").body(fits))
        .await;
    assert_error(&reply, 400, "M_MISSING_PARAM", None);
    // Authenticated endpoints too, after auth.
    let admin = app.register_user("limitadmin", true).await;
    let reply = app
        .send(
            app.request(
                "POST",
                &format!("/_synapse/admin/v1/reset_password/{}", admin.user_id),
            )
            .bearer_auth(&admin.access_token)
            .body(vec![b'{'; 70 * 1024]),
        )
        .await;
    assert_error(&reply, 413, "M_TOO_LARGE", None);
});

e2e!(body_parsing_rules, |app: TestApp| async move {
    let login = "/_matrix/client/v3/login";
    let reply = app.send(app.request("POST", login).body("not json")).await;
    assert_error(&reply, 400, "M_NOT_JSON", None);
    let reply = app.send(app.request("POST", login).body("[1, 2]")).await;
    assert_error(&reply, 400, "M_BAD_JSON", None);
    let reply = app.send(app.request("POST", login).body("\"str\"")).await;
    assert_error(&reply, 400, "M_BAD_JSON", None);
    let reply = app
        .post(
            login,
            None,
            &json!({"type": "m.login.password", "user": "x", "password": 5}),
        )
        .await;
    assert_error(&reply, 400, "M_BAD_JSON", None);
    // An empty body counts as {} where nothing is required (logout).
    let user = app.register_user("emptybody", false).await;
    let reply = app
        .send(
            app.request("POST", "/_matrix/client/v3/logout")
                .bearer_auth(&user.access_token),
        )
        .await;
    assert_eq!(assert_ok(reply), json!({}));
    // A body sent with GET is ignored.
    let other = app.register_user("getbody", false).await;
    let reply = app
        .send(
            app.request("GET", "/_matrix/client/v3/account/whoami")
                .bearer_auth(&other.access_token)
                .body("this is not json"),
        )
        .await;
    assert_eq!(assert_ok(reply)["user_id"], other.user_id.as_str());
});

e2e!(identifiers_follow_the_grammar, |app: TestApp| async move {
    let admin = app.register_user("grammaradmin", true).await;
    let too_long = format!("@{}:{}", "a".repeat(250), SERVER_NAME);
    for id in [
        "alice",
        "@alice",
        "@:bailiff.test",
        "@a%20b:bailiff.test",
        too_long.as_str(),
    ] {
        let reply = app
            .get(
                &format!("/_synapse/admin/v1/whois/{id}"),
                Some(&admin.access_token),
            )
            .await;
        assert_error(&reply, 400, "M_INVALID_PARAM", None);
    }
    // Historical (non-conforming but valid) IDs are accepted.
    let body = assert_ok(
        app.get(
            &format!("/_synapse/admin/v1/whois/@Old.Style!:{SERVER_NAME}"),
            Some(&admin.access_token),
        )
        .await,
    );
    assert_eq!(body["devices"], json!({}));
});

/// A dependency that is down is `503 M_UNAVAILABLE`, without internal detail.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn backend_down_is_503_unavailable() {
    let app = spawn_app(Mode::Distributed).await;
    app.stop_role(bailiff::Role::Accounts).await;
    let reply = app
        .get(
            "/_matrix/client/v3/account/whoami",
            Some("some-token-never-seen"),
        )
        .await;
    assert_error(&reply, 503, "M_UNAVAILABLE", None);
    let reply = app.get("/_synapse/admin/v1/register", None).await;
    assert_error(&reply, 503, "M_UNAVAILABLE", None);
    app.stop().await;
}
