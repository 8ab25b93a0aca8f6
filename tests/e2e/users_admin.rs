//! End-to-end tests of Synapse users administration (docs/http-api.md §7, "Users
//! (Synapse admin API)"): the users list, create-or-modify, lock, admin, deactivation and
//! reactivation, devices, username availability, profile, and the bad inputs.

use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::harness::*;
use crate::rooms::{create_room, enc, v3};

const V2: &str = "/_synapse/admin/v2/users";
const V3: &str = "/_synapse/admin/v3/users";

fn user_path(user_id: &str) -> String {
    format!("{V2}/{}", enc(user_id))
}

async fn put_user(app: &TestApp, admin: &TestUser, user_id: &str, body: &Value) -> Reply {
    app.call(
        "PUT",
        &user_path(user_id),
        Some(&admin.access_token),
        Some(body),
    )
    .await
}

fn names(body: &Value) -> Vec<String> {
    body["users"]
        .as_array()
        .map(|users| {
            users
                .iter()
                .filter_map(|u| u["name"].as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

/// Polls `path` with `token` until it answers `status` (other gateways learn of changes
/// over the bus): at most a second.
pub(crate) async fn eventually_status(
    app: &TestApp,
    base: &str,
    token: &str,
    status: u16,
) -> Value {
    let deadline = Instant::now() + Duration::from_secs(1);
    loop {
        let reply = app
            .send(
                app.client
                    .get(format!("{base}/_matrix/client/v3/account/whoami"))
                    .bearer_auth(token),
            )
            .await;
        if reply.0.as_u16() == status {
            return reply.1;
        }
        assert!(
            Instant::now() < deadline,
            "still {} after a second: {}",
            reply.0,
            reply.1
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

e2e!(
    users_list_filters_order_and_paging,
    |app: TestApp| async move {
        let admin = app.register_user("ladmin", true).await;
        for name in ["lalice", "lbob", "lcarol", "ldave"] {
            app.register_user(name, false).await;
        }
        // Bob gets a display name to search by; Carol is deactivated; Dave is locked.
        let bob = app.user_id("lbob");
        assert_ok(put_user(&app, &admin, &bob, &json!({"displayname": "Roberto"})).await);
        let carol = app.user_id("lcarol");
        assert_ok(
            app.post(
                &format!("/_synapse/admin/v1/deactivate/{carol}"),
                Some(&admin.access_token),
                &json!({}),
            )
            .await,
        );
        let dave = app.user_id("ldave");
        assert_ok(put_user(&app, &admin, &dave, &json!({"locked": true})).await);
        let token = Some(admin.access_token.as_str());

        // v2 defaults: no deactivated, no locked; ordered by name.
        let body = assert_ok(app.get(V2, token).await);
        let all = names(&body);
        assert_eq!(
            all,
            [admin.user_id.clone(), app.user_id("lalice"), bob.clone()]
        );
        assert_eq!(body["total"], 3);
        assert!(body.get("next_token").is_none(), "{body}");
        let first = &body["users"][0];
        for key in [
            "admin",
            "deactivated",
            "locked",
            "is_guest",
            "erased",
            "shadow_banned",
        ] {
            assert!(first[key].is_boolean(), "{key}: {first}");
        }
        assert!(
            first["creation_ts"]
                .as_i64()
                .is_some_and(|t| t > 1_000_000_000_000),
            "ms: {first}"
        );
        assert!(
            first["user_type"].is_null() && first["avatar_url"].is_null(),
            "{first}"
        );

        // v2 deactivated=true includes them; locked=true includes locked users.
        let body = assert_ok(
            app.get(&format!("{V2}?deactivated=true&locked=true"), token)
                .await,
        );
        assert_eq!(body["total"], 5);
        // v3: absent shows deactivated users, true only them, false none.
        let body = assert_ok(app.get(V3, token).await);
        assert_eq!(body["total"], 4, "{body}");
        let body = assert_ok(app.get(&format!("{V3}?deactivated=true"), token).await);
        assert_eq!(names(&body), std::slice::from_ref(&carol));
        let body = assert_ok(app.get(&format!("{V3}?deactivated=false"), token).await);
        assert_eq!(body["total"], 3);

        // name matches the localpart or the display name; user_id the full ID.
        let body = assert_ok(app.get(&format!("{V2}?name=ROBERT"), token).await);
        assert_eq!(names(&body), std::slice::from_ref(&bob));
        let body = assert_ok(app.get(&format!("{V2}?name=lali"), token).await);
        assert_eq!(names(&body), [app.user_id("lalice")]);
        let body = assert_ok(
            app.get(&format!("{V2}?user_id=bailiff.test&limit=1"), token)
                .await,
        );
        assert_eq!(body["total"], 3);
        // admins filter.
        let body = assert_ok(app.get(&format!("{V2}?admins=true"), token).await);
        assert_eq!(names(&body), std::slice::from_ref(&admin.user_id));
        let body = assert_ok(app.get(&format!("{V2}?admins=false"), token).await);
        assert_eq!(body["total"], 2);
        // not_user_type="" hides users without a type (everyone here).
        let body = assert_ok(app.get(&format!("{V2}?not_user_type="), token).await);
        assert_eq!(body["total"], 0);
        let body = assert_ok(app.get(&format!("{V2}?not_user_type=bot"), token).await);
        assert_eq!(body["total"], 3);

        // Paging: next_token only while more follow; dir=b reverses.
        let body = assert_ok(app.get(&format!("{V2}?from=0&limit=2"), token).await);
        assert_eq!(body["next_token"], "2");
        assert_eq!(names(&body).len(), 2);
        let body = assert_ok(app.get(&format!("{V2}?from=2&limit=2"), token).await);
        assert_eq!(names(&body), std::slice::from_ref(&bob));
        assert!(body.get("next_token").is_none(), "{body}");
        let body = assert_ok(app.get(&format!("{V2}?dir=b"), token).await);
        assert_eq!(names(&body).first(), Some(&bob));
        let body = assert_ok(
            app.get(
                &format!("{V2}?order_by=creation_ts&dir=f&limit=10000000"),
                token,
            )
            .await,
        );
        assert_eq!(names(&body).first(), Some(&admin.user_id));
        // Unknown parameters are ignored.
        assert_ok(
            app.get(&format!("{V2}?foo=bar&order_by=admin&dir=b"), token)
                .await,
        );

        // Bad input, with Synapse's texts.
        let cases = [
            ("from=x", "Query parameter from must be an integer"),
            (
                "limit=-1",
                "Query parameter limit must be a positive integer.",
            ),
            (
                "guests=yes",
                "Boolean query parameter 'guests' must be one of ['true', 'false']",
            ),
            (
                "deactivated=1",
                "Boolean query parameter 'deactivated' must be one of ['true', 'false']",
            ),
            ("dir=x", "Query parameter 'dir' must be one of ['b', 'f']"),
        ];
        for (query, text) in cases {
            for base in [V2, V3] {
                let reply = app.get(&format!("{base}?{query}"), token).await;
                assert_error(&reply, 400, "M_INVALID_PARAM", Some(text));
            }
        }
        let reply = app.get(&format!("{V2}?order_by=nope"), token).await;
        assert_error(&reply, 400, "M_INVALID_PARAM", None);
        // No token.
        let reply = app.get(V2, None).await;
        assert_error(&reply, 401, "M_MISSING_TOKEN", None);
    }
);

e2e!(users_create_then_modify, |app: TestApp| async move {
    let admin = app.register_user("cadmin", true).await;
    let new = app.user_id("cnew");
    let (status, body) = put_user(
        &app,
        &admin,
        &new,
        &json!({
            "password": "a-good-password",
            "displayname": "New Person",
            "user_type": "bot",
            "admin": false,
            "threepids": [{"medium": "email", "address": "new@example.org"}],
            "external_ids": [{"auth_provider": "oidc", "external_id": "x-1"}],
            "id": new, "avatar_src": "ignored",
        }),
    )
    .await;
    assert_eq!(status.as_u16(), 201, "{body}");
    assert_eq!(body["name"], new.as_str());
    assert_eq!(body["displayname"], "New Person");
    assert_eq!(body["user_type"], "bot");
    assert_eq!(body["threepids"][0]["address"], "new@example.org");
    assert_eq!(body["external_ids"][0]["external_id"], "x-1");
    // Seconds on the single-user answers.
    let seconds = body["creation_ts"].as_i64().unwrap_or_default();
    assert!(
        seconds > 1_000_000_000 && seconds < 100_000_000_000,
        "{body}"
    );
    // The new user can log in.
    assert_ok(app.login("cnew", "a-good-password").await);

    // Modify: 200, only the keys present change; user_type null clears.
    let (status, body) = put_user(
        &app,
        &admin,
        &new,
        &json!({"displayname": "Renamed", "user_type": null, "admin": true}),
    )
    .await;
    assert_eq!(status.as_u16(), 200, "{body}");
    assert_eq!(body["displayname"], "Renamed");
    assert!(body["user_type"].is_null(), "{body}");
    assert_eq!(body["admin"], true);
    assert_eq!(body["external_ids"][0]["external_id"], "x-1");
    let got = assert_ok(app.get(&user_path(&new), Some(&admin.access_token)).await);
    for key in [
        "name",
        "displayname",
        "admin",
        "user_type",
        "creation_ts",
        "threepids",
    ] {
        assert_eq!(got[key], body[key], "{key}");
    }
    // Raw IDs work as well as encoded ones.
    assert_ok(
        app.get(&format!("{V2}/{new}"), Some(&admin.access_token))
            .await,
    );
    // Profile.
    let profile = assert_ok(app.get(&v3(&format!("/profile/{new}")), None).await);
    assert_eq!(profile, json!({"displayname": "Renamed"}));
    let reply = app
        .get(&v3(&format!("/profile/{}", app.user_id("nobody"))), None)
        .await;
    assert_error(&reply, 404, "M_NOT_FOUND", None);
    // External IDs cannot be shared.
    let other = app.user_id("cother");
    let reply = put_user(
        &app,
        &admin,
        &other,
        &json!({"external_ids": [{"auth_provider": "oidc", "external_id": "x-1"}]}),
    )
    .await;
    assert_error(
        &reply,
        409,
        "M_UNKNOWN",
        Some("External id is already in use."),
    );

    // Bad input, in Synapse's order.
    let token = Some(admin.access_token.as_str());
    let bad = [
        (
            json!({"threepids": [{"medium": "email"}]}),
            400,
            "M_MISSING_PARAM",
        ),
        (json!({"user_type": "alien"}), 400, "M_UNKNOWN"),
        (json!({"admin": "yes"}), 400, "M_BAD_JSON"),
        (json!({"password": 5}), 400, "M_INVALID_PARAM"),
        (json!({"password": "x".repeat(513)}), 400, "M_INVALID_PARAM"),
        (json!({"deactivated": "no"}), 400, "M_BAD_JSON"),
        (json!({"locked": 1}), 400, "M_BAD_JSON"),
        (
            json!({"deactivated": true, "locked": true}),
            400,
            "M_UNKNOWN",
        ),
    ];
    for (body, status, code) in bad {
        let reply = app.call("PUT", &user_path(&new), token, Some(&body)).await;
        assert_error(&reply, status, code, None);
    }
    let reply = app
        .send(
            app.request("PUT", &user_path(&new))
                .bearer_auth(&admin.access_token)
                .body("[1]"),
        )
        .await;
    assert_error(&reply, 400, "M_BAD_JSON", None);
    let reply = put_user(&app, &admin, "@x:elsewhere.example", &json!({})).await;
    assert_error(
        &reply,
        400,
        "M_UNKNOWN",
        Some("This endpoint can only be used with local users"),
    );
    let reply = put_user(&app, &admin, &app.user_id("Bad*Name"), &json!({})).await;
    assert_error(&reply, 400, "M_INVALID_USERNAME", None);
    let reply = app.get(&format!("{V2}/not-an-id"), token).await;
    assert_error(&reply, 400, "M_INVALID_PARAM", None);
    let reply = app.get(&format!("{V2}/%ZZ"), token).await;
    assert_error(&reply, 400, "M_INVALID_PARAM", None);
    let reply = app.get(&user_path(&app.user_id("ghost")), token).await;
    assert_error(&reply, 404, "M_NOT_FOUND", Some("User not found"));
    let reply = app.get(&user_path("@x:elsewhere.example"), token).await;
    assert_error(
        &reply,
        400,
        "M_UNKNOWN",
        Some("Can only look up local users"),
    );

    // Username availability.
    let body = assert_ok(
        app.get(
            "/_synapse/admin/v1/username_available?username=free1",
            token,
        )
        .await,
    );
    assert_eq!(body, json!({"available": true}));
    let reply = app
        .get("/_synapse/admin/v1/username_available?username=cnew", token)
        .await;
    assert_error(&reply, 400, "M_USER_IN_USE", None);
    let reply = app
        .get("/_synapse/admin/v1/username_available?username=bad*", token)
        .await;
    assert_error(&reply, 400, "M_INVALID_USERNAME", None);
    let reply = app
        .get("/_synapse/admin/v1/username_available", token)
        .await;
    assert_error(&reply, 400, "M_MISSING_PARAM", None);
});

e2e!(users_lock_unlock_and_demote, |app: TestApp| async move {
    let admin = app.register_user("kadmin", true).await;
    let other_admin = app.register_user("kother", true).await;
    let victim = app.register_user("kvictim", false).await;
    // A second gateway, when distributed: changes reach it over the bus.
    let bases = if app.mode == Mode::Distributed {
        vec![app.base_url.clone(), app.spawn_gateway_replica().await]
    } else {
        vec![app.base_url.clone()]
    };
    for base in &bases {
        eventually_status(&app, base, &victim.access_token, 200).await;
    }
    assert_ok(put_user(&app, &admin, &victim.user_id, &json!({"locked": true})).await);
    for base in &bases {
        let body = eventually_status(&app, base, &victim.access_token, 401).await;
        assert_eq!(body["errcode"], "M_USER_LOCKED", "{body}");
        assert_eq!(body["error"], "User account has been locked");
        assert_eq!(body["soft_logout"], true);
    }
    let listed = assert_ok(
        app.get(
            &format!("{V2}?locked=true&name=kvictim"),
            Some(&admin.access_token),
        )
        .await,
    );
    assert_eq!(listed["users"][0]["locked"], true);
    assert_ok(put_user(&app, &admin, &victim.user_id, &json!({"locked": false})).await);
    for base in &bases {
        eventually_status(&app, base, &victim.access_token, 200).await;
    }

    // Demotion: the admin flag endpoints, then the demoted admin is refused.
    let flag = format!("/_synapse/admin/v1/users/{}/admin", other_admin.user_id);
    let body = assert_ok(app.get(&flag, Some(&admin.access_token)).await);
    assert_eq!(body, json!({"admin": true}));
    for base in &bases {
        let reply = app
            .send(
                app.client
                    .get(format!("{base}{V2}"))
                    .bearer_auth(&other_admin.access_token),
            )
            .await;
        assert_eq!(reply.0.as_u16(), 200, "{}", reply.1);
    }
    assert_ok(
        app.call(
            "PUT",
            &flag,
            Some(&admin.access_token),
            Some(&json!({"admin": false})),
        )
        .await,
    );
    let body = assert_ok(app.get(&flag, Some(&admin.access_token)).await);
    assert_eq!(body, json!({"admin": false}));
    for base in &bases {
        let deadline = Instant::now() + Duration::from_secs(1);
        loop {
            let reply = app
                .send(
                    app.client
                        .get(format!("{base}{V2}"))
                        .bearer_auth(&other_admin.access_token),
                )
                .await;
            if reply.0.as_u16() == 403 {
                break;
            }
            assert!(Instant::now() < deadline, "demotion not felt: {}", reply.1);
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
    let own = format!("/_synapse/admin/v1/users/{}/admin", admin.user_id);
    let reply = app
        .call(
            "PUT",
            &own,
            Some(&admin.access_token),
            Some(&json!({"admin": false})),
        )
        .await;
    assert_error(
        &reply,
        400,
        "M_UNKNOWN",
        Some("You may not demote yourself."),
    );
    let reply = app
        .call("PUT", &own, Some(&admin.access_token), Some(&json!({})))
        .await;
    assert_error(
        &reply,
        400,
        "M_MISSING_PARAM",
        Some("Missing params: ['admin']"),
    );
    let ghost = format!("/_synapse/admin/v1/users/{}/admin", app.user_id("ghost"));
    assert_eq!(
        assert_ok(app.get(&ghost, Some(&admin.access_token)).await),
        json!({"admin": false})
    );
    let reply = app
        .get(
            "/_synapse/admin/v1/users/@x:elsewhere.example/admin",
            Some(&admin.access_token),
        )
        .await;
    assert_error(
        &reply,
        400,
        "M_UNKNOWN",
        Some("Only local users can be admins of this homeserver"),
    );
});

e2e!(
    users_deactivate_erase_and_reactivate,
    |app: TestApp| async move {
        let admin = app.register_user("dadmin", true).await;
        let victim = app.register_user("dvictim", false).await;
        assert_ok(
            put_user(
                &app,
                &admin,
                &victim.user_id,
                &json!({"displayname": "Victim"}),
            )
            .await,
        );
        // Joined to one room, invited to another.
        create_room(&app, &victim, json!({})).await;
        let invited = create_room(&app, &admin, json!({"invite": [victim.user_id]})).await;

        let path = format!("/_synapse/admin/v1/deactivate/{}", victim.user_id);
        let reply = app
            .post(&path, Some(&admin.access_token), &json!({"erase": "yes"}))
            .await;
        assert_error(
            &reply,
            400,
            "M_BAD_JSON",
            Some("Param 'erase' must be a boolean, if given"),
        );
        let reply = app
            .post(
                "/_synapse/admin/v1/deactivate/@x:elsewhere.example",
                Some(&admin.access_token),
                &json!({}),
            )
            .await;
        assert_error(
            &reply,
            400,
            "M_UNKNOWN",
            Some("Can only deactivate local users"),
        );
        let reply = app
            .post(
                &format!("/_synapse/admin/v1/deactivate/{}", app.user_id("ghost")),
                Some(&admin.access_token),
                &json!({}),
            )
            .await;
        assert_error(&reply, 404, "M_NOT_FOUND", Some("User not found"));

        let body = assert_ok(
            app.post(&path, Some(&admin.access_token), &json!({"erase": true}))
                .await,
        );
        assert_eq!(body, json!({"id_server_unbind_result": "success"}));
        // Tokens dead at once on this gateway.
        let reply = app
            .get(&v3("/account/whoami"), Some(&victim.access_token))
            .await;
        assert_error(&reply, 401, "M_UNKNOWN_TOKEN", None);
        // Left the room, rejected the invite.
        let members = assert_ok(
            app.get(
                &v3(&format!("/rooms/{}/members", enc(&invited))),
                Some(&admin.access_token),
            )
            .await,
        );
        let membership = members["chunk"]
            .as_array()
            .and_then(|events| {
                events
                    .iter()
                    .find(|e| e["state_key"] == victim.user_id.as_str())
            })
            .map(|e| e["content"]["membership"].clone());
        assert_eq!(membership, Some(json!("leave")), "{members}");
        let record = assert_ok(
            app.get(&user_path(&victim.user_id), Some(&admin.access_token))
                .await,
        );
        assert_eq!(record["deactivated"], true);
        assert_eq!(record["erased"], true);
        assert!(record["displayname"].is_null(), "{record}");
        let devices = assert_ok(
            app.get(
                &format!("{}/devices", user_path(&victim.user_id)),
                Some(&admin.access_token),
            )
            .await,
        );
        assert_eq!(devices["total"], 0);
        // Login refused, registration refused.
        let reply = app.login("dvictim", &victim.password).await;
        assert_error(
            &reply,
            403,
            "M_USER_DEACTIVATED",
            Some("This account has been deactivated"),
        );
        let nonce = app.nonce().await;
        let mac = app.mac(&nonce, "dvictim", "pw", false, None);
        let reply = app
            .post(
                "/_synapse/admin/v1/register",
                None,
                &json!({"nonce": nonce, "username": "dvictim", "password": "pw", "mac": mac}),
            )
            .await;
        assert_error(&reply, 400, "M_USER_IN_USE", None);

        // Reactivation needs a password.
        let reply = put_user(
            &app,
            &admin,
            &victim.user_id,
            &json!({"deactivated": false}),
        )
        .await;
        assert_error(&reply, 400, "M_MISSING_PARAM", None);
        let body = assert_ok(
            put_user(
                &app,
                &admin,
                &victim.user_id,
                &json!({"deactivated": false, "password": "back-again-1"}),
            )
            .await,
        );
        assert_eq!(body["deactivated"], false);
        assert_eq!(body["erased"], false);
        assert_ok(app.login("dvictim", "back-again-1").await);

        // PUT {deactivated: true} deactivates too.
        let body = assert_ok(
            put_user(
                &app,
                &admin,
                &victim.user_id,
                &json!({"deactivated": true, "locked": false}),
            )
            .await,
        );
        assert_eq!(body["deactivated"], true);
        let reply = app.login("dvictim", "back-again-1").await;
        assert_error(&reply, 403, "M_USER_DEACTIVATED", None);
    }
);

e2e!(users_devices_and_whois_shapes, |app: TestApp| async move {
    let admin = app.register_user("vadmin", true).await;
    let user = app.register_user("vuser", false).await;
    // A second device that never makes a request after logging in.
    let quiet = app
        .send(
            app.request("POST", &v3("/login"))
                .header("User-Agent", "quiet-agent")
                .json(&json!({
                    "type": "m.login.password",
                    "identifier": {"type": "m.id.user", "user": "vuser"},
                    "password": user.password,
                    "device_id": "QUIET",
                })),
        )
        .await;
    assert_ok(quiet);
    let token = Some(admin.access_token.as_str());
    let devices_path = format!("{}/devices", user_path(&user.user_id));

    // Both devices show, the quiet one with its login connection, within a second.
    let deadline = Instant::now() + Duration::from_secs(1);
    let per_device = loop {
        let body = assert_ok(
            app.get(
                &format!("/_matrix/client/v3/admin/whois/{}", user.user_id),
                token,
            )
            .await,
        );
        let agent = &body["devices"]["QUIET"]["sessions"][0]["connections"][0]["user_agent"];
        if agent == "quiet-agent" && body["devices"][&user.device_id].is_object() {
            break body;
        }
        assert!(Instant::now() < deadline, "whois misses a device: {body}");
        tokio::time::sleep(Duration::from_millis(25)).await;
    };
    assert!(per_device["devices"].get("").is_none(), "{per_device}");
    let synapse = assert_ok(
        app.get(&format!("/_synapse/admin/v1/whois/{}", user.user_id), token)
            .await,
    );
    let keys: Vec<&String> = synapse["devices"]
        .as_object()
        .map(|o| o.keys().collect())
        .unwrap_or_default();
    assert_eq!(keys, [""], "{synapse}");
    let agents: Vec<&str> = synapse["devices"][""]["sessions"][0]["connections"]
        .as_array()
        .map(|c| c.iter().filter_map(|c| c["user_agent"].as_str()).collect())
        .unwrap_or_default();
    assert!(agents.contains(&"quiet-agent"), "{synapse}");

    let body = assert_ok(
        app.get(
            &format!("{devices_path}?from=0&limit=10&order_by=id&dir=b"),
            token,
        )
        .await,
    );
    assert_eq!(body["total"], 2, "{body}");
    let quiet_row = body["devices"]
        .as_array()
        .and_then(|d| d.iter().find(|d| d["device_id"] == "QUIET").cloned())
        .unwrap_or_default();
    assert_eq!(quiet_row["user_id"], user.user_id.as_str());
    assert_eq!(quiet_row["last_seen_user_agent"], "quiet-agent");
    assert_eq!(quiet_row["dehydrated"], false);

    // Rename, get, delete (with a body), delete_devices.
    let one = format!("{devices_path}/QUIET");
    assert_ok(
        app.call("PUT", &one, token, Some(&json!({"display_name": "Phone"})))
            .await,
    );
    let got = assert_ok(app.get(&one, token).await);
    assert_eq!(got["display_name"], "Phone");
    assert_ok(
        app.call("DELETE", &one, token, Some(&json!({"ignored": true})))
            .await,
    );
    let reply = app.get(&one, token).await;
    assert_error(&reply, 404, "M_NOT_FOUND", Some("No device found"));
    assert_ok(app.call("DELETE", &one, token, None).await);
    let (status, body) = app
        .post(&devices_path, token, &json!({"device_id": "MADE"}))
        .await;
    assert_eq!(status.as_u16(), 201, "{body}");
    assert_ok(
        app.post(
            &format!("{}/delete_devices", user_path(&user.user_id)),
            token,
            &json!({"devices": [user.device_id, "MADE", "NOPE"]}),
        )
        .await,
    );
    let body = assert_ok(app.get(&devices_path, token).await);
    assert_eq!(body["total"], 0, "{body}");
    let reply = app
        .get(&v3("/account/whoami"), Some(&user.access_token))
        .await;
    assert_error(&reply, 401, "M_UNKNOWN_TOKEN", None);
    let reply = app
        .post(
            &format!("{}/delete_devices", user_path(&user.user_id)),
            token,
            &json!({}),
        )
        .await;
    assert_error(&reply, 400, "M_MISSING_PARAM", None);
    let reply = app
        .get(
            &format!("{}/devices", user_path(&app.user_id("ghost"))),
            token,
        )
        .await;
    assert_error(&reply, 404, "M_NOT_FOUND", Some("Unknown user"));
    let reply = app
        .get(
            "/_synapse/admin/v2/users/@x:elsewhere.example/devices",
            token,
        )
        .await;
    assert_error(
        &reply,
        400,
        "M_UNKNOWN",
        Some("Can only lookup local users"),
    );
});

// The admin UIs send the whole record back on every save (`PUT v2/users/{id}`) and read
// it again at once: each save is seen by the very next read, lock and unlock alike
// (the browser flow `user_lock_deactivate_reactivate`).
e2e!(
    lock_unlock_whole_record_reads_back,
    |app: TestApp| async move {
        let admin = app.register_user("fadmin", true).await;
        let user = app.register_user("fflip", false).await;
        let token = Some(admin.access_token.as_str());
        for round in 0..20 {
            let locked = round % 2 == 0;
            let mut record = assert_ok(app.get(&user_path(&user.user_id), token).await);
            record["locked"] = json!(locked);
            record["id"] = json!(user.user_id);
            let answer = assert_ok(put_user(&app, &admin, &user.user_id, &record).await);
            assert_eq!(answer["locked"], locked, "round {round}: {answer}");
            let read = assert_ok(app.get(&user_path(&user.user_id), token).await);
            assert_eq!(read["locked"], locked, "round {round}: {read}");
        }
    }
);
