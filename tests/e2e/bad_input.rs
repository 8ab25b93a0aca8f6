//! docs/http-api.md §1: no bad input ever produces a 5xx, and every error is a Matrix error body.
//! Throws malformed IDs, bad escapes, non-JSON, wrong JSON types, oversized bodies and
//! odd methods at every route, with and without an admin token.

use serde_json::{Value, json};

use crate::harness::*;

/// Every route, with `{id}` where a path parameter goes.
const ROUTES: &[(&str, &str)] = &[
    ("GET", "/_matrix/client/versions"),
    ("GET", "/_matrix/client/r0/login"),
    ("POST", "/_matrix/client/r0/login"),
    ("GET", "/_matrix/client/v3/login"),
    ("POST", "/_matrix/client/v3/login"),
    ("POST", "/_matrix/client/r0/logout"),
    ("POST", "/_matrix/client/v3/logout"),
    ("POST", "/_matrix/client/r0/logout/all"),
    ("POST", "/_matrix/client/v3/logout/all"),
    ("GET", "/_matrix/client/r0/account/whoami"),
    ("GET", "/_matrix/client/v3/account/whoami"),
    ("GET", "/_matrix/client/r0/admin/whois/{id}"),
    ("GET", "/_matrix/client/v3/admin/whois/{id}"),
    ("GET", "/_synapse/admin/v1/whois/{id}"),
    ("GET", "/_synapse/admin/v1/register"),
    ("POST", "/_synapse/admin/v1/register"),
    ("POST", "/_synapse/admin/v1/reset_password/{id}"),
    ("GET", "/_synapse/admin/v1/server_version"),
    ("POST", "/_dendrite/admin/resetPassword/{id}"),
    // Users administration (tests/e2e/users_admin.rs has the exact answers).
    ("GET", "/_synapse/admin/v2/users?from={id}"),
    ("GET", "/_synapse/admin/v3/users?limit={id}&dir={id}"),
    ("GET", "/_synapse/admin/v2/users/{id}"),
    ("PUT", "/_synapse/admin/v2/users/{id}"),
    // A valid body would deactivate the admin itself: bad input goes to another user's ID.
    (
        "POST",
        "/_synapse/admin/v1/deactivate/@fuzzvictim:bailiff.test?x={id}",
    ),
    ("GET", "/_synapse/admin/v1/users/{id}/admin"),
    ("PUT", "/_synapse/admin/v1/users/{id}/admin"),
    ("GET", "/_synapse/admin/v2/users/{id}/devices"),
    ("POST", "/_synapse/admin/v2/users/{id}/devices"),
    ("GET", "/_synapse/admin/v2/users/{id}/devices/{id}"),
    ("PUT", "/_synapse/admin/v2/users/{id}/devices/{id}"),
    ("DELETE", "/_synapse/admin/v2/users/{id}/devices/{id}"),
    ("POST", "/_synapse/admin/v2/users/{id}/delete_devices"),
    ("GET", "/_synapse/admin/v1/username_available?username={id}"),
    ("GET", "/_matrix/client/v3/profile/{id}"),
];

const BAD_IDS: &[&str] = &[
    "%ZZ",
    "%",
    "%4",
    "%FF",
    "%00",
    "@",
    "!",
    "@@@",
    "@a:b:c",
    "@a%00b:bailiff.test",
    "%40%3A",
    "..",
    "@alice:bad_server!",
    "@alice:[::1",
    "\u{e9}",
];

/// Marks a reply as acceptable: below 500, and a proper Matrix error when it is one.
#[track_caller]
fn assert_sane(what: &str, reply: &Reply) {
    let (status, body) = reply;
    assert!(status.as_u16() < 500, "{what}: {status} {body}");
    if status.as_u16() >= 400 {
        assert!(
            body["errcode"]
                .as_str()
                .is_some_and(|c| c.starts_with("M_"))
                && body["error"].is_string(),
            "{what}: not a Matrix error: {status} {body}"
        );
    }
}

fn bodies() -> Vec<(&'static str, Vec<u8>)> {
    let wrong_types = json!({
        "type": 5, "identifier": "x", "user": [], "password": {}, "new_password": 1,
        "logout_devices": "yes", "nonce": 7, "username": null, "mac": false,
        "admin": "true", "user_type": [], "device_id": 1, "inhibit_login": "no",
        "displayname": 3, "initial_device_display_name": {},
    });
    let nested = json!({"identifier": {"type": [], "user": {}}, "type": "m.login.password"});
    vec![
        ("not json", b"not json".to_vec()),
        ("array", b"[1,2,3]".to_vec()),
        ("string", b"\"hello\"".to_vec()),
        ("truncated", b"{\"a\":".to_vec()),
        (
            "invalid utf-8",
            vec![b'{', b'"', 0xff, 0xfe, b'"', b':', b'1', b'}'],
        ),
        (
            "deep",
            format!("{}{}", "[".repeat(5000), "]".repeat(5000)).into_bytes(),
        ),
        ("wrong types", wrong_types.to_string().into_bytes()),
        ("nested wrong types", nested.to_string().into_bytes()),
        (
            "70 KiB",
            format!("{{\"pad\":\"{}\"}}", "x".repeat(70 * 1024)).into_bytes(),
        ),
    ]
}

e2e!(no_bad_input_gives_a_5xx, |app: TestApp| async move {
    let admin = app.register_user("fuzzadmin", true).await;
    // Logout routes would end the admin's session: they get a throw-away token instead.
    let (_, spare) = app.login("fuzzadmin", &admin.password).await;
    let spare = spare["access_token"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    for (method, template) in ROUTES {
        let logs_out = template.contains("/logout");
        let tokens: Vec<Option<&str>> = if logs_out {
            vec![None, Some("bogus-token")]
        } else {
            vec![None, Some("bogus-token"), Some(admin.access_token.as_str())]
        };
        let ids: Vec<&str> = if template.contains("{id}") {
            BAD_IDS.to_vec()
        } else {
            vec![""]
        };
        for token in &tokens {
            for id in &ids {
                let path = template.replace("{id}", id);
                // Bad identifiers.
                let mut request = app.request(method, &path);
                if let Some(token) = token {
                    request = request.bearer_auth(token);
                }
                assert_sane(&format!("{method} {path}"), &app.send(request).await);
            }
            let path = template.replace("{id}", &app.user_id("fuzzadmin"));
            // Bad bodies.
            for (name, body) in bodies() {
                let mut request = app.request(method, &path).body(body);
                if let Some(token) = token {
                    request = request.bearer_auth(token);
                }
                assert_sane(
                    &format!("{method} {path} with {name}"),
                    &app.send(request).await,
                );
            }
            // Odd methods.
            for odd in ["PATCH", "DELETE", "PUT", "TRACE", "PROPFIND", "HEAD"] {
                let mut request = app.request(odd, &path);
                if let Some(token) = token {
                    request = request.bearer_auth(token);
                }
                let reply = app.send(request).await;
                if odd == "HEAD" {
                    assert!(reply.0.as_u16() < 500, "HEAD {path}: {}", reply.0);
                } else {
                    assert_sane(&format!("{odd} {path}"), &reply);
                }
            }
        }
        if logs_out {
            // And once for real, with odd bodies, on the spare session.
            let request = app.request(method, template).bearer_auth(&spare).body("[]");
            assert_sane(
                &format!("{method} {template} logged in"),
                &app.send(request).await,
            );
        }
    }
    // The admin session survived everything above.
    let body = assert_ok(
        app.get(
            "/_matrix/client/v3/account/whoami",
            Some(&admin.access_token),
        )
        .await,
    );
    assert_eq!(body["user_id"], Value::from(admin.user_id.clone()));
});
