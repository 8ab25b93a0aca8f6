//! docs/http-api.md §2: authentication.

use std::time::{Duration, Instant};

use bailiff_proto::accounts::SetAdminRequest;
use serde_json::json;

use crate::harness::*;

const WHOAMI: &str = "/_matrix/client/v3/account/whoami";

e2e!(token_sources_and_pinned_errors, |app: TestApp| async move {
    let user = app.register_user("authuser", false).await;
    // No token.
    assert_error(
        &app.get(WHOAMI, None).await,
        401,
        "M_MISSING_TOKEN",
        Some("Missing access token"),
    );
    // Header not `Bearer <token>`.
    for header in ["Basic abc", "Bearer", "bearer abc", "Token abc"] {
        let reply = app
            .send(app.request("GET", WHOAMI).header("Authorization", header))
            .await;
        assert_error(
            &reply,
            401,
            "M_MISSING_TOKEN",
            Some("Invalid Authorization header"),
        );
    }
    // Header and query both present.
    let reply = app
        .send(
            app.request(
                "GET",
                &format!("{WHOAMI}?access_token={}", user.access_token),
            )
            .bearer_auth(&user.access_token),
        )
        .await;
    assert_error(
        &reply,
        401,
        "M_MISSING_TOKEN",
        Some("Mixing Authorization headers and access_token query parameters"),
    );
    // Unknown token, header or query; asked twice (the second answer may be cached).
    for _ in 0..2 {
        let reply = app.get(WHOAMI, Some("not-a-real-token")).await;
        assert_error(
            &reply,
            401,
            "M_UNKNOWN_TOKEN",
            Some("Invalid access token passed."),
        );
        assert_eq!(reply.1["soft_logout"], json!(false));
        let reply = app.get(&format!("{WHOAMI}?access_token=nope"), None).await;
        assert_error(
            &reply,
            401,
            "M_UNKNOWN_TOKEN",
            Some("Invalid access token passed."),
        );
        assert_eq!(reply.1["soft_logout"], json!(false));
    }
    // Tokens of the minted shape that this deployment did not mint: a made-up tag, and
    // a real token with one character of its random part changed.
    let forged = format!("bft_{}_{}", "ab".repeat(32), "cd".repeat(16));
    let mut tampered = user.access_token.clone().into_bytes();
    tampered[10] = if tampered[10] == b'0' { b'1' } else { b'0' };
    let tampered = String::from_utf8(tampered).unwrap_or_default();
    for token in [forged.as_str(), tampered.as_str()] {
        assert_eq!(token.len(), user.access_token.len());
        let reply = app.get(WHOAMI, Some(token)).await;
        assert_error(
            &reply,
            401,
            "M_UNKNOWN_TOKEN",
            Some("Invalid access token passed."),
        );
    }
    // Both sources work.
    assert_eq!(
        assert_ok(app.get(WHOAMI, Some(&user.access_token)).await)["user_id"],
        user.user_id.as_str()
    );
    let body = assert_ok(
        app.get(
            &format!("{WHOAMI}?access_token={}", user.access_token),
            None,
        )
        .await,
    );
    assert_eq!(body["user_id"], user.user_id.as_str());
});

e2e!(
    admin_endpoint_refuses_non_admin,
    |app: TestApp| async move {
        let user = app.register_user("plainuser", false).await;
        for (method, path, body) in [
            (
                "GET",
                "/_synapse/admin/v1/federation/destinations".to_owned(),
                None,
            ),
            (
                "POST",
                format!("/_synapse/admin/v1/reset_password/{}", user.user_id),
                Some(json!({"new_password": "x"})),
            ),
            (
                "POST",
                "/_dendrite/admin/resetPassword/plainuser".to_owned(),
                Some(json!({"password": "longenough"})),
            ),
        ] {
            let reply = app
                .call(method, &path, Some(&user.access_token), body.as_ref())
                .await;
            assert_error(
                &reply,
                403,
                "M_FORBIDDEN",
                Some("You are not a server admin"),
            );
        }
    }
);

e2e!(
    auth_runs_before_path_and_body_validation,
    |app: TestApp| async move {
        let user = app.register_user("orderuser", false).await;
        // Malformed path and body, no token: 401.
        let reply = app
            .send(
                app.request("POST", "/_dendrite/admin/resetPassword/%ZZ")
                    .body("not json"),
            )
            .await;
        assert_error(&reply, 401, "M_MISSING_TOKEN", Some("Missing access token"));
        // Bad token: 401 unknown.
        let reply = app
            .send(
                app.request("POST", "/_synapse/admin/v1/reset_password/@@@")
                    .bearer_auth("bogus")
                    .body("[]"),
            )
            .await;
        assert_error(&reply, 401, "M_UNKNOWN_TOKEN", None);
        // Not an admin: 403 before the malformed path.
        let reply = app
            .send(
                app.request("POST", "/_dendrite/admin/resetPassword/%ZZ")
                    .bearer_auth(&user.access_token)
                    .body("not json"),
            )
            .await;
        assert_error(
            &reply,
            403,
            "M_FORBIDDEN",
            Some("You are not a server admin"),
        );
    }
);

e2e!(
    logout_revokes_on_the_very_next_request,
    |app: TestApp| async move {
        let user = app.register_user("revokeme", false).await;
        // Warm the cache.
        assert_ok(app.get(WHOAMI, Some(&user.access_token)).await);
        assert_ok(
            app.post(
                "/_matrix/client/v3/logout",
                Some(&user.access_token),
                &json!({}),
            )
            .await,
        );
        let reply = app.get(WHOAMI, Some(&user.access_token)).await;
        assert_error(
            &reply,
            401,
            "M_UNKNOWN_TOKEN",
            Some("Invalid access token passed."),
        );
    }
);

/// Polls `check` until it is true, for at most one second.
async fn within_one_second(mut check: impl AsyncFnMut() -> bool) -> bool {
    let deadline = Instant::now() + Duration::from_secs(1);
    loop {
        if check().await {
            return true;
        }
        if Instant::now() >= deadline {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

/// A token revoked through one gateway replica is refused by another within 1 s.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn revocation_reaches_every_replica_within_one_second() {
    let app = spawn_app(Mode::Distributed).await;
    let replica = app.spawn_gateway_replica().await;
    let user = app.register_user("replicauser", false).await;
    let on_replica = |token: String| {
        let client = app.client.clone();
        let url = format!("{replica}{WHOAMI}");
        async move {
            client
                .get(url)
                .bearer_auth(token)
                .send()
                .await
                .map_or(0, |r| r.status().as_u16())
        }
    };
    // The replica caches the token as valid.
    assert_eq!(on_replica(user.access_token.clone()).await, 200);
    assert_eq!(on_replica(user.access_token.clone()).await, 200);
    assert_ok(
        app.post(
            "/_matrix/client/v3/logout",
            Some(&user.access_token),
            &json!({}),
        )
        .await,
    );
    let refused =
        within_one_second(async || on_replica(user.access_token.clone()).await == 401).await;
    assert!(
        refused,
        "the replica still accepts a revoked token after 1 s"
    );
    app.stop().await;
}

/// Admin promotion and demotion take effect on every replica within 1 s.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn admin_changes_reach_every_replica_within_one_second() {
    let app = spawn_app(Mode::Distributed).await;
    let replica = app.spawn_gateway_replica().await;
    let user = app.register_user("promoteme", false).await;
    let status_on = |base: String| {
        let client = app.client.clone();
        let token = user.access_token.clone();
        async move {
            client
                .get(format!("{base}/_synapse/admin/v1/federation/destinations"))
                .bearer_auth(token)
                .send()
                .await
                .map_or(0, |r| r.status().as_u16())
        }
    };
    let bases = [app.base_url.clone(), replica.clone()];
    for base in &bases {
        assert_eq!(status_on(base.clone()).await, 403);
    }
    let mut accounts = app.accounts_grpc().await;
    for (admin, expected) in [(true, 200), (false, 403)] {
        accounts
            .set_admin(SetAdminRequest {
                user_id: user.user_id.clone(),
                admin,
            })
            .await
            .unwrap_or_else(|e| panic!("SetAdmin: {e}"));
        for base in &bases {
            let ok = within_one_second(async || status_on(base.clone()).await == expected).await;
            assert!(ok, "admin={admin} not visible on {base} within 1 s");
        }
    }
    app.stop().await;
}
