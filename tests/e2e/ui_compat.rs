//! End-to-end tests of what the admin web UIs need beyond the admin API
//! (docs/http-api.md §7 "Stubs" and §8): discovery, CORS with credentials, the login
//! shapes both UIs send, the stubs, and the `404 M_UNRECOGNIZED` for everything else.
//! The UIs themselves are driven in [`browser`].

use serde_json::{Value, json};

use crate::harness::*;

mod browser;

/// Starts the embedded system with an admin and an ordinary user.
async fn app_with_users() -> (TestApp, TestUser, TestUser) {
    let app = spawn_app(Mode::Embedded).await;
    let admin = app.register_user("uiadmin", true).await;
    let user = app.register_user("uiuser", false).await;
    (app, admin, user)
}

fn header(response: &reqwest::Response, name: &str) -> Option<String> {
    response
        .headers()
        .get_all(name)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .map(str::to_owned)
        .reduce(|a, b| format!("{a}, {b}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn well_known_names_the_listener_without_a_token() {
    let app = spawn_app(Mode::Embedded).await;
    let response = app
        .request("GET", "/.well-known/matrix/client")
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(response.status(), 200);
    assert_eq!(
        header(&response, "access-control-allow-origin").as_deref(),
        Some("*")
    );
    let body: Value = response.json().await.unwrap_or_default();
    assert_eq!(body, json!({"m.homeserver": {"base_url": app.base_url}}));
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn well_known_names_the_public_base_url() {
    let app = spawn_app_with(Mode::Embedded, |config| {
        config.public_base_url = Some("https://matrix.example.org/".into());
    })
    .await;
    let body = assert_ok(app.get("/.well-known/matrix/client", None).await);
    assert_eq!(
        body,
        json!({"m.homeserver": {"base_url": "https://matrix.example.org"}})
    );
    app.stop().await;
}

const ADMIN_ORIGIN: &str = "http://admin.example:8080";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn listed_origins_get_credentials_others_a_star() {
    let app = spawn_app_with(Mode::Embedded, |config| {
        config.cors.allow_credentials_origins = vec![ADMIN_ORIGIN.into()];
    })
    .await;
    let admin = app.register_user("corscreds", true).await;
    let path = "/_synapse/admin/v1/server_version";
    let requests = |origin: &str| {
        [
            app.request("OPTIONS", "/_matrix/client/v3/account/whoami")
                .header("Origin", origin)
                .header("Access-Control-Request-Method", "GET")
                .header("Access-Control-Request-Headers", "authorization"),
            app.request("GET", "/_matrix/client/v3/account/whoami")
                .header("Origin", origin)
                .bearer_auth(&admin.access_token),
            app.request("GET", path).header("Origin", origin),
            // Errors too.
            app.request("GET", "/_matrix/client/v3/account/whoami")
                .header("Origin", origin),
            app.request("GET", "/nope").header("Origin", origin),
        ]
    };
    for request in requests(ADMIN_ORIGIN) {
        let response = request.send().await.unwrap_or_else(|e| panic!("{e}"));
        let what = format!("{} {}", response.status(), response.url());
        assert_eq!(
            header(&response, "access-control-allow-origin").as_deref(),
            Some(ADMIN_ORIGIN),
            "{what}"
        );
        assert_eq!(
            header(&response, "access-control-allow-credentials").as_deref(),
            Some("true"),
            "{what}"
        );
        assert_eq!(
            header(&response, "vary").as_deref(),
            Some("Origin"),
            "{what}"
        );
        assert!(
            header(&response, "access-control-allow-methods").is_some(),
            "{what}"
        );
    }
    for origin in ["http://evil.example", "http://admin.example", "null"] {
        for request in requests(origin) {
            let response = request.send().await.unwrap_or_else(|e| panic!("{e}"));
            let what = format!("{origin}: {} {}", response.status(), response.url());
            assert_eq!(
                header(&response, "access-control-allow-origin").as_deref(),
                Some("*"),
                "{what}"
            );
            assert_eq!(
                header(&response, "access-control-allow-credentials"),
                None,
                "{what}"
            );
            assert_eq!(
                header(&response, "vary").as_deref(),
                Some("Origin"),
                "{what}"
            );
        }
    }
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_credential_origins_cors_is_unchanged() {
    let app = spawn_app(Mode::Embedded).await;
    let response = app
        .request("GET", "/_matrix/client/versions")
        .header("Origin", ADMIN_ORIGIN)
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        header(&response, "access-control-allow-origin").as_deref(),
        Some("*")
    );
    assert_eq!(header(&response, "access-control-allow-credentials"), None);
    assert_eq!(header(&response, "vary"), None);
    app.stop().await;
}

/// The bodies synapse-admin (r0, legacy `user` and `identifier`) and Ketesa (v3,
/// `identifier` only) send on first login, `"device_id": null` included
/// (`shared/SYNAPSE-ADMIN.md` §2).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn login_as_the_admin_uis_send_it() {
    let (app, admin, _) = app_with_users().await;
    let full_id = admin.user_id.as_str();
    let cases = [
        (
            "r0",
            json!({"device_id": null, "initial_device_display_name": "Synapse Admin",
                   "type": "m.login.password", "user": "uiadmin", "password": admin.password,
                   "identifier": {"type": "m.id.user", "user": "uiadmin"}}),
        ),
        (
            "r0",
            json!({"device_id": null, "type": "m.login.password", "user": full_id,
                   "password": admin.password}),
        ),
        (
            "v3",
            json!({"device_id": null, "initial_device_display_name": "Ketesa",
                   "type": "m.login.password", "password": admin.password,
                   "identifier": {"type": "m.id.user", "user": full_id}}),
        ),
        (
            "v3",
            json!({"type": "m.login.password", "user": "uiadmin", "password": admin.password}),
        ),
    ];
    for (version, body) in cases {
        let path = format!("/_matrix/client/{version}/login");
        let flows = assert_ok(app.get(&path, None).await);
        assert_eq!(flows, json!({"flows": [{"type": "m.login.password"}]}));
        let answer = assert_ok(app.post(&path, None, &body).await);
        assert_eq!(answer["user_id"], full_id, "{body}");
        assert_eq!(answer["home_server"], SERVER_NAME, "{body}");
        let device = answer["device_id"].as_str().unwrap_or_default();
        assert!(!device.is_empty(), "{answer}");
        let token = answer["access_token"].as_str().unwrap_or_default();
        let whoami = assert_ok(
            app.get("/_matrix/client/v3/account/whoami", Some(token))
                .await,
        );
        assert_eq!(whoami["device_id"], device);
        // The UIs log out with the version they logged in with.
        let logout = format!("/_matrix/client/{version}/logout");
        assert_eq!(
            assert_ok(app.post(&logout, Some(token), &json!({})).await),
            json!({})
        );
    }
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn empty_body_on_send_server_notice_is_not_json() {
    let (app, admin, user) = app_with_users().await;
    for (method, path) in [
        ("POST", "/_synapse/admin/v1/send_server_notice"),
        ("PUT", "/_synapse/admin/v1/send_server_notice/empty-txn"),
    ] {
        let request = app.request(method, path).bearer_auth(&admin.access_token);
        let reply = app.send(request).await;
        assert_error(&reply, 400, "M_NOT_JSON", None);
        // `{}` is still a missing parameter, and the admin check still comes first.
        let reply = app
            .call(method, path, Some(&admin.access_token), Some(&json!({})))
            .await;
        assert_error(&reply, 400, "M_MISSING_PARAM", None);
        let request = app.request(method, path).bearer_auth(&user.access_token);
        assert_error(&app.send(request).await, 403, "M_FORBIDDEN", None);
    }
    app.stop().await;
}

/// Each stub, with a user ID (`{u}`) or room ID (`{r}`) where its path takes one, and its
/// exact answer.
fn stubs() -> Vec<(&'static str, Value)> {
    vec![
        (
            "/_synapse/admin/v1/users/{u}/media",
            json!({"media": [], "total": 0}),
        ),
        (
            "/_synapse/admin/v1/users/{u}/pushers",
            json!({"pushers": [], "total": 0}),
        ),
        ("/_synapse/admin/v1/users/{u}/override_ratelimit", json!({})),
        (
            "/_synapse/admin/v1/experimental_features/{u}",
            json!({"features": {}}),
        ),
        (
            "/_synapse/admin/v1/federation/destinations",
            json!({"destinations": [], "total": 0}),
        ),
        (
            "/_synapse/admin/v1/statistics/users/media",
            json!({"users": [], "total": 0}),
        ),
        (
            "/_synapse/admin/v1/statistics/database/rooms",
            json!({"rooms": []}),
        ),
        (
            "/_synapse/admin/v1/user_reports",
            json!({"user_reports": [], "total": 0}),
        ),
        (
            "/_synapse/admin/v1/event_reports",
            json!({"event_reports": [], "total": 0}),
        ),
        (
            "/_synapse/admin/v1/scheduled_tasks",
            json!({"scheduled_tasks": []}),
        ),
        (
            "/_synapse/admin/v1/registration_tokens",
            json!({"registration_tokens": []}),
        ),
        (
            "/_synapse/admin/v1/room/{r}/media",
            json!({"local": [], "remote": []}),
        ),
        (
            "/_synapse/admin/v1/rooms/{r}/forward_extremities",
            json!({"count": 0, "results": []}),
        ),
    ]
}

/// What react-admin appends to every list and nested list, plus junk: all ignored.
const ODD_QUERIES: &[&str] = &[
    "",
    "?from=0&limit=10&order_by=id&dir=b",
    "?from=abc&limit=-5&order_by=nope&dir=sideways&valid=maybe&destination=&x=1",
    "?limit=10000&order_by=media_length&dir=b&search_term=",
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stubs_answer_admins_with_empty_lists() {
    let (app, admin, user) = app_with_users().await;
    let room = "!someroom:bailiff.test";
    // Raw IDs and percent-encoded ones, as the UIs send both.
    let ids = [
        (admin.user_id.clone(), room.to_owned()),
        (
            admin.user_id.replace('@', "%40").replace(':', "%3A"),
            room.replace('!', "%21").replace(':', "%3A"),
        ),
    ];
    for (template, expected) in stubs() {
        for (user_id, room_id) in &ids {
            let path = template.replace("{u}", user_id).replace("{r}", room_id);
            for query in ODD_QUERIES {
                let url = format!("{path}{query}");
                let body = assert_ok(app.get(&url, Some(&admin.access_token)).await);
                assert_eq!(body, expected, "{url}");
            }
        }
        let path = template.replace("{u}", &admin.user_id).replace("{r}", room);
        assert_error(
            &app.get(&path, Some(&user.access_token)).await,
            403,
            "M_FORBIDDEN",
            Some("You are not a server admin"),
        );
        assert_error(&app.get(&path, None).await, 401, "M_MISSING_TOKEN", None);
        if template.contains('{') {
            for bad in ["nobody", "%ZZ", "@a:b:c", "!", "%40%3A"] {
                let path = template.replace("{u}", bad).replace("{r}", bad);
                let reply = app.get(&path, Some(&admin.access_token)).await;
                assert_error(&reply, 400, "M_INVALID_PARAM", None);
            }
        }
    }
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn account_data_is_never_set() {
    let (app, admin, user) = app_with_users().await;
    for version in ["r0", "v3"] {
        let own = format!(
            "/_matrix/client/{version}/user/{}/account_data/io.element.synapse.admin_client_config",
            admin.user_id
        );
        assert_error(
            &app.get(&own, Some(&admin.access_token)).await,
            404,
            "M_NOT_FOUND",
            Some("Account data not found"),
        );
        let other = format!(
            "/_matrix/client/{version}/user/{}/account_data/m.direct",
            admin.user_id
        );
        assert_error(
            &app.get(&other, Some(&user.access_token)).await,
            403,
            "M_FORBIDDEN",
            None,
        );
        assert_error(&app.get(&own, None).await, 401, "M_MISSING_TOKEN", None);
    }
    app.stop().await;
}

/// synapse-admin logs out on any 401 or 403 (`shared/SYNAPSE-ADMIN.md` §2.1), so what
/// nobody serves must be a 404 even with an admin's token.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unserved_admin_paths_are_404_for_admins() {
    let (app, admin, _) = app_with_users().await;
    let user_id = &admin.user_id;
    for (method, path) in [
        ("GET", "/_synapse/admin/v1/nope".to_owned()),
        (
            "GET",
            "/_synapse/admin/v1/user/redact_status/abc".to_owned(),
        ),
        (
            "POST",
            format!("/_synapse/admin/v1/users/{user_id}/shadow_ban"),
        ),
        ("POST", format!("/_synapse/admin/v1/users/{user_id}/login")),
        ("GET", "/_synapse/admin/v1/event_reports/1".to_owned()),
        (
            "GET",
            "/_synapse/admin/v1/federation/destinations/x/rooms".to_owned(),
        ),
        (
            "POST",
            "/_synapse/admin/v1/purge_media_cache?before_ts=1".to_owned(),
        ),
        ("GET", "/_synapse/admin/v3/nope".to_owned()),
        ("GET", "/_synapse/ess/version".to_owned()),
        ("GET", "/_matrix/client/v1/auth_metadata".to_owned()),
    ] {
        let reply = app
            .call(method, &path, Some(&admin.access_token), None)
            .await;
        assert_error(&reply, 404, "M_UNRECOGNIZED", Some("Unrecognized request"));
    }
    app.stop().await;
}
