//! docs/http-api.md §4: whois, at all three paths.

use serde_json::json;

use crate::harness::*;

const PREFIXES: [&str; 3] = [
    "/_matrix/client/r0/admin/whois",
    "/_matrix/client/v3/admin/whois",
    "/_synapse/admin/v1/whois",
];

e2e!(whois_self_and_admin, |app: TestApp| async move {
    let alice = app.register_user("whoisalice", false).await;
    let bob = app.register_user("whoisbob", false).await;
    let admin = app.register_user("whoisadmin", true).await;
    for prefix in PREFIXES {
        // Self: allowed without admin.
        let body = assert_ok(
            app.get(
                &format!("{prefix}/{}", alice.user_id),
                Some(&alice.access_token),
            )
            .await,
        );
        assert_eq!(body["user_id"], alice.user_id.as_str());
        assert!(body["devices"].is_object(), "{body}");
        // Someone else: admin only.
        let reply = app
            .get(
                &format!("{prefix}/{}", bob.user_id),
                Some(&alice.access_token),
            )
            .await;
        assert_error(&reply, 403, "M_FORBIDDEN", None);
        let body = assert_ok(
            app.get(
                &format!("{prefix}/{}", bob.user_id),
                Some(&admin.access_token),
            )
            .await,
        );
        assert_eq!(body["user_id"], bob.user_id.as_str());
        // Malformed.
        let reply = app
            .get(&format!("{prefix}/not-an-id"), Some(&admin.access_token))
            .await;
        assert_error(&reply, 400, "M_INVALID_PARAM", None);
        // Remote.
        let reply = app
            .get(
                &format!("{prefix}/@bob:elsewhere.example"),
                Some(&admin.access_token),
            )
            .await;
        assert_error(
            &reply,
            400,
            "M_INVALID_PARAM",
            Some("Can only whois a local user"),
        );
        // Unknown local user: empty devices.
        let ghost = app.user_id("ghost");
        let body = assert_ok(
            app.get(&format!("{prefix}/{ghost}"), Some(&admin.access_token))
                .await,
        );
        assert_eq!(body, json!({"user_id": ghost, "devices": {}}));
    }
});

e2e!(whois_body_shape, |app: TestApp| async move {
    let user = app.register_user("shapeuser", false).await;
    // Two user agents from the same IP: two connections for the device.
    for agent in ["agent-one", "agent-two"] {
        let reply = app
            .send(
                app.request("GET", "/_matrix/client/v3/account/whoami")
                    .bearer_auth(&user.access_token)
                    .header("User-Agent", agent),
            )
            .await;
        assert_ok(reply);
    }
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(1);
    let body = loop {
        let body = assert_ok(
            app.get(
                &format!("/_matrix/client/v3/admin/whois/{}", user.user_id),
                Some(&user.access_token),
            )
            .await,
        );
        let count = body["devices"][&user.device_id]["sessions"][0]["connections"]
            .as_array()
            .map_or(0, |c| {
                c.iter()
                    .filter(|c| {
                        c["user_agent"]
                            .as_str()
                            .is_some_and(|a| a.starts_with("agent-"))
                    })
                    .count()
            });
        if count == 2 || std::time::Instant::now() >= deadline {
            break body;
        }
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    };
    let sessions = body["devices"][&user.device_id]["sessions"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert_eq!(sessions.len(), 1, "one session per device: {body}");
    let connections = sessions[0]["connections"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    for connection in &connections {
        let keys: Vec<&String> = connection
            .as_object()
            .map(|o| o.keys().collect())
            .unwrap_or_default();
        assert_eq!(keys, ["ip", "last_seen", "user_agent"], "{connection}");
    }
    let agents: Vec<&str> = connections
        .iter()
        .filter_map(|c| c["user_agent"].as_str())
        .collect();
    assert!(
        agents.contains(&"agent-one") && agents.contains(&"agent-two"),
        "{body}"
    );
    // Newest first.
    let seen: Vec<i64> = connections
        .iter()
        .filter_map(|c| c["last_seen"].as_i64())
        .collect();
    assert!(
        seen.windows(2).all(|w| w[0] >= w[1]),
        "not newest first: {body}"
    );
});

e2e!(
    whois_shows_a_new_request_within_a_second_of_a_cached_answer,
    |app: TestApp| async move {
        let user = app.register_user("whoisfresh", false).await;
        // The per-device shape is the client-server one (the Synapse path answers under `""`).
        let path = format!("/_matrix/client/v3/admin/whois/{}", user.user_id);
        let agents = |body: &serde_json::Value| -> Vec<String> {
            body["devices"][&user.device_id]["sessions"][0]["connections"]
                .as_array()
                .map(|c| {
                    c.iter()
                        .filter_map(|c| c["user_agent"].as_str().map(str::to_owned))
                        .collect()
                })
                .unwrap_or_default()
        };
        // An answer the gateway may now reuse.
        let before = assert_ok(app.get(&path, Some(&user.access_token)).await);
        assert!(
            !agents(&before).contains(&"late-agent".to_owned()),
            "{before}"
        );
        let reply = app
            .send(
                app.request("GET", "/_matrix/client/v3/account/whoami")
                    .bearer_auth(&user.access_token)
                    .header("User-Agent", "late-agent"),
            )
            .await;
        assert_ok(reply);
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(1);
        loop {
            let body = assert_ok(app.get(&path, Some(&user.access_token)).await);
            if agents(&body).contains(&"late-agent".to_owned()) {
                break;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "the request is not in whois after a second: {body}"
            );
            tokio::time::sleep(std::time::Duration::from_millis(25)).await;
        }
    }
);
