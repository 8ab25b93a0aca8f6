//! docs/http-api.md §2: every authenticated request is recorded for whois, with the right IP.

use std::time::{Duration, Instant};

use serde_json::Value;

use crate::harness::*;

/// Polls whois (as the user themself) for up to one second until `matches` holds.
async fn whois_within_one_second(
    app: &TestApp,
    user: &TestUser,
    matches: impl Fn(&Value) -> bool,
) -> Value {
    let deadline = Instant::now() + Duration::from_secs(1);
    loop {
        let (_, body) = app
            .get(
                &format!("/_matrix/client/v3/admin/whois/{}", user.user_id),
                Some(&user.access_token),
            )
            .await;
        if matches(&body) || Instant::now() >= deadline {
            return body;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

fn connections(body: &Value, device: &str) -> Vec<Value> {
    body["devices"][device]["sessions"][0]["connections"]
        .as_array()
        .cloned()
        .unwrap_or_default()
}

fn has_connection(body: &Value, device: &str, ip: &str, user_agent: &str) -> bool {
    connections(body, device)
        .iter()
        .any(|c| c["ip"] == ip && c["user_agent"] == user_agent && c["last_seen"].is_i64())
}

e2e!(
    a_request_shows_up_in_whois_within_one_second,
    |app: TestApp| async move {
        let user = app.register_user("seenuser", false).await;
        let before = bailiff_domain::now_ms();
        let reply = app
            .send(
                app.request("GET", "/_matrix/client/v3/account/whoami")
                    .bearer_auth(&user.access_token)
                    .header("User-Agent", "e2e-agent/1.0"),
            )
            .await;
        assert_ok(reply);
        let body = whois_within_one_second(&app, &user, |b| {
            has_connection(b, &user.device_id, "127.0.0.1", "e2e-agent/1.0")
        })
        .await;
        assert!(
            has_connection(&body, &user.device_id, "127.0.0.1", "e2e-agent/1.0"),
            "connection not in whois within 1 s: {body}"
        );
        let seen = connections(&body, &user.device_id)
            .iter()
            .filter_map(|c| c["last_seen"].as_i64())
            .max()
            .unwrap_or(0);
        assert!(
            seen >= before - 1000,
            "last_seen {seen} is older than the request ({before})"
        );
    }
);

e2e!(
    forwarded_for_is_believed_from_a_trusted_proxy,
    config = |c: &mut bailiff_config::Config| {
        c.trusted_proxies = ["127.0.0.1/32", "10.0.0.0/8"]
            .iter()
            .filter_map(|network| network.parse().ok())
            .collect();
    },
    |app: TestApp| async move {
        let user = app.register_user("proxied", false).await;
        let reply = app
            .send(
                app.request("GET", "/_matrix/client/v3/account/whoami")
                    .bearer_auth(&user.access_token)
                    .header("User-Agent", "via-proxy")
                    .header("X-Forwarded-For", "198.51.100.1, 203.0.113.7, 10.1.2.3"),
            )
            .await;
        assert_ok(reply);
        let body = whois_within_one_second(&app, &user, |b| {
            has_connection(b, &user.device_id, "203.0.113.7", "via-proxy")
        })
        .await;
        assert!(
            has_connection(&body, &user.device_id, "203.0.113.7", "via-proxy"),
            "first untrusted hop not recorded: {body}"
        );
    }
);

e2e!(
    forwarded_for_is_ignored_from_an_untrusted_peer,
    |app: TestApp| async move {
        let user = app.register_user("direct", false).await;
        let reply = app
            .send(
                app.request("GET", "/_matrix/client/v3/account/whoami")
                    .bearer_auth(&user.access_token)
                    .header("User-Agent", "spoofer")
                    .header("X-Forwarded-For", "203.0.113.7"),
            )
            .await;
        assert_ok(reply);
        let body = whois_within_one_second(&app, &user, |b| {
            has_connection(b, &user.device_id, "127.0.0.1", "spoofer")
        })
        .await;
        assert!(
            has_connection(&body, &user.device_id, "127.0.0.1", "spoofer"),
            "{body}"
        );
        assert!(
            !has_connection(&body, &user.device_id, "203.0.113.7", "spoofer"),
            "{body}"
        );
    }
);
