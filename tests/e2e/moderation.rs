//! End-to-end tests of account moderation (docs/http-api.md §9): suspension through the
//! spec's path, MSC4323's unstable path and Synapse's path, with every refused and every
//! allowed action; lock and unlock through the spec's path on every gateway; the admin
//! check before any lookup; the endpoints' error rows; and the capabilities, read by a
//! raw Python client too.

use serde_json::{Value, json};

use crate::harness::*;
use crate::rooms::{create_room, enc, say, v3};
use crate::users_admin::eventually_status;

const V1: &str = "/_matrix/client/v1/admin";
const UNSTABLE: &str = "/_matrix/client/unstable/uk.timedout.msc4323/admin";
const SYNAPSE_SUSPEND: &str = "/_synapse/admin/v1/suspend";

/// The three ways to suspend someone.
#[derive(Debug, Clone, Copy)]
enum Via {
    Spec,
    Unstable,
    Synapse,
}

/// `{prefix}/{flag}/{userId}` of the spec's endpoints.
fn spec_path(prefix: &str, flag: &str, user_id: &str) -> String {
    format!("{prefix}/{flag}/{}", enc(user_id))
}

/// Suspends `user_id` (or lifts it) through `via`, checking the answer's shape.
async fn set_suspended(app: &TestApp, admin: &TestUser, via: Via, user_id: &str, value: bool) {
    let token = Some(admin.access_token.as_str());
    let (path, body, expected) = match via {
        Via::Spec | Via::Unstable => {
            let prefix = if matches!(via, Via::Spec) {
                V1
            } else {
                UNSTABLE
            };
            (
                spec_path(prefix, "suspend", user_id),
                json!({"suspended": value}),
                json!({"suspended": value}),
            )
        }
        Via::Synapse => (
            format!("{SYNAPSE_SUSPEND}/{user_id}"),
            json!({"suspend": value}),
            json!({format!("user_{user_id}_suspended"): value}),
        ),
    };
    let answer = assert_ok(app.call("PUT", &path, token, Some(&body)).await);
    assert_eq!(answer, expected, "{via:?}");
}

/// A room `owner` creates with `member` joined to it.
async fn room_with(app: &TestApp, owner: &TestUser, member: &TestUser) -> String {
    let room = create_room(app, owner, json!({"invite": [member.user_id]})).await;
    assert_ok(
        app.post(
            &v3(&format!("/rooms/{}/join", enc(&room))),
            Some(&member.access_token),
            &json!({}),
        )
        .await,
    );
    room
}

e2e!(
    suspension_refuses_writes_and_allows_reads_on_every_path,
    |app: TestApp| async move {
        let admin = app.register_user("smod", true).await;
        let owner = app.register_user("sowner", false).await;
        let victim = app.register_user("svictim", false).await;
        let me = Some(victim.access_token.as_str());
        for (round, via) in [Via::Spec, Via::Unstable, Via::Synapse]
            .into_iter()
            .enumerate()
        {
            // One room the victim is in, one they are invited to.
            let joined = room_with(&app, &owner, &victim).await;
            let invited = create_room(&app, &owner, json!({"invite": [victim.user_id]})).await;
            set_suspended(&app, &admin, via, &victim.user_id, true).await;

            // The state reads back on every path that shows it.
            for prefix in [V1, UNSTABLE] {
                let path = spec_path(prefix, "suspend", &victim.user_id);
                let body = assert_ok(app.get(&path, Some(&admin.access_token)).await);
                assert_eq!(body, json!({"suspended": true}), "{via:?}");
            }
            let record = assert_ok(
                app.get(
                    &format!("/_synapse/admin/v2/users/{}", enc(&victim.user_id)),
                    Some(&admin.access_token),
                )
                .await,
            );
            assert_eq!(record["suspended"], true, "{via:?}: {record}");

            // Refused: send, createRoom, join (both forms), invite.
            let refused = [
                (
                    say(&app, &victim, &joined, &format!("t{round}"), "hi").await,
                    "Sending messages while account is suspended is not allowed.",
                ),
                (
                    app.post(&v3("/createRoom"), me, &json!({})).await,
                    "Sending messages while account is suspended is not allowed.",
                ),
                (
                    app.post(&v3(&format!("/join/{}", enc(&invited))), me, &json!({}))
                        .await,
                    "Joining rooms while account is suspended is not allowed.",
                ),
                (
                    app.post(
                        &format!("/_matrix/client/r0/rooms/{}/join", enc(&invited)),
                        me,
                        &json!({}),
                    )
                    .await,
                    "Joining rooms while account is suspended is not allowed.",
                ),
                (
                    app.post(
                        &v3(&format!("/rooms/{}/invite", enc(&joined))),
                        me,
                        &json!({"user_id": admin.user_id}),
                    )
                    .await,
                    "Sending invites while account is suspended is not allowed.",
                ),
            ];
            for (reply, text) in &refused {
                assert_error(reply, 403, "M_USER_SUSPENDED", Some(text));
            }
            // Profile changes, knocking and uploads have no endpoint here at all.
            for (method, path) in [
                (
                    "PUT",
                    v3(&format!("/profile/{}/displayname", enc(&victim.user_id))),
                ),
                ("POST", v3(&format!("/knock/{}", enc(&invited)))),
                ("POST", "/_matrix/media/v3/upload".to_owned()),
            ] {
                let reply = app.call(method, &path, me, Some(&json!({}))).await;
                assert_error(&reply, 404, "M_UNRECOGNIZED", None);
            }

            // Allowed: reading, syncing, capabilities, logging in and out, leaving.
            for path in [
                v3("/account/whoami"),
                v3("/sync"),
                v3("/joined_rooms"),
                v3("/capabilities"),
                v3(&format!("/rooms/{}/messages", enc(&joined))),
                v3(&format!("/rooms/{}/members", enc(&joined))),
                v3(&format!("/rooms/{}/state", enc(&joined))),
                v3(&format!("/profile/{}", enc(&victim.user_id))),
            ] {
                assert_ok(app.get(&path, me).await);
            }
            let login = assert_ok(app.login(&victim.localpart, &victim.password).await);
            let second = login["access_token"]
                .as_str()
                .unwrap_or_default()
                .to_owned();
            assert_ok(app.get(&v3("/account/whoami"), Some(&second)).await);
            assert_ok(app.post(&v3("/logout"), Some(&second), &json!({})).await);
            assert_ok(
                app.post(
                    &v3(&format!("/rooms/{}/leave", enc(&joined))),
                    me,
                    &json!({}),
                )
                .await,
            );

            // Lifted through the same path: the refused actions work again.
            set_suspended(&app, &admin, via, &victim.user_id, false).await;
            assert_ok(
                app.post(&v3(&format!("/join/{}", enc(&invited))), me, &json!({}))
                    .await,
            );
            assert_ok(say(&app, &victim, &invited, &format!("u{round}"), "back").await);
        }
    }
);

/// The gateways to check: the deployment's, plus a second replica when distributed.
async fn gateways(app: &TestApp) -> Vec<String> {
    if app.mode == Mode::Distributed {
        vec![app.base_url.clone(), app.spawn_gateway_replica().await]
    } else {
        vec![app.base_url.clone()]
    }
}

/// Polls a join of a room that does not exist — `404` while the user may act, `403
/// M_USER_SUSPENDED` once suspended, and never a change — until it answers `status`:
/// at most a second.
async fn eventually_suspended(app: &TestApp, base: &str, user: &TestUser, suspended: bool) {
    let (status, errcode) = if suspended {
        (403, "M_USER_SUSPENDED")
    } else {
        (404, "M_NOT_FOUND")
    };
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(1);
    loop {
        let reply = app
            .send(
                app.client
                    .post(format!(
                        "{base}/_matrix/client/v3/rooms/%21nowhere%3A{SERVER_NAME}/join"
                    ))
                    .bearer_auth(&user.access_token)
                    .json(&json!({})),
            )
            .await;
        if reply.0.as_u16() == status && reply.1["errcode"] == errcode {
            return;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "still {} after a second: {}",
            reply.0,
            reply.1
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
}

e2e!(
    suspension_reaches_every_gateway_and_outlives_the_cache,
    |app: TestApp| async move {
        let admin = app.register_user("gmod", true).await;
        let victim = app.register_user("gvictim", false).await;
        let bases = gateways(&app).await;
        for base in &bases {
            eventually_suspended(&app, base, &victim, false).await;
        }
        set_suspended(&app, &admin, Via::Spec, &victim.user_id, true).await;
        // The gateway that made the change refuses at once; the others within a second.
        let reply = app
            .post(
                &v3(&format!("/rooms/%21nowhere%3A{SERVER_NAME}/join")),
                Some(&victim.access_token),
                &json!({}),
            )
            .await;
        assert_error(&reply, 403, "M_USER_SUSPENDED", None);
        for base in &bases {
            eventually_suspended(&app, base, &victim, true).await;
        }
        // The flag is stored, not cached: a gateway started now (nothing cached) and a
        // fresh login both see it.
        if app.mode == Mode::Distributed {
            let fresh = app.spawn_gateway_replica().await;
            eventually_suspended(&app, &fresh, &victim, true).await;
        }
        let login = assert_ok(app.login(&victim.localpart, &victim.password).await);
        let relogged = TestUser {
            access_token: login["access_token"]
                .as_str()
                .unwrap_or_default()
                .to_owned(),
            ..victim.clone()
        };
        eventually_suspended(&app, &app.base_url, &relogged, true).await;
        set_suspended(&app, &admin, Via::Synapse, &victim.user_id, false).await;
        for base in &bases {
            eventually_suspended(&app, base, &victim, false).await;
        }
    }
);

e2e!(
    lock_and_unlock_through_the_spec_path_on_every_gateway,
    |app: TestApp| async move {
        let admin = app.register_user("lmod", true).await;
        let victim = app.register_user("lvictim", false).await;
        let bases = gateways(&app).await;
        for base in &bases {
            eventually_status(&app, base, &victim.access_token, 200).await;
        }
        let lock = spec_path(V1, "lock", &victim.user_id);
        let answer = assert_ok(
            app.call(
                "PUT",
                &lock,
                Some(&admin.access_token),
                Some(&json!({"locked": true})),
            )
            .await,
        );
        assert_eq!(answer, json!({"locked": true}));
        for base in &bases {
            let body = eventually_status(&app, base, &victim.access_token, 401).await;
            assert_eq!(body["errcode"], "M_USER_LOCKED", "{body}");
            assert_eq!(body["error"], "User account has been locked");
            assert_eq!(body["soft_logout"], true);
        }
        // The same flag as the users admin API's, read back on both prefixes.
        for prefix in [V1, UNSTABLE] {
            let body = assert_ok(
                app.get(
                    &spec_path(prefix, "lock", &victim.user_id),
                    Some(&admin.access_token),
                )
                .await,
            );
            assert_eq!(body, json!({"locked": true}));
        }
        let record = assert_ok(
            app.get(
                &format!("/_synapse/admin/v2/users/{}", enc(&victim.user_id)),
                Some(&admin.access_token),
            )
            .await,
        );
        assert_eq!(record["locked"], true, "{record}");
        if app.mode == Mode::Distributed {
            let fresh = app.spawn_gateway_replica().await;
            eventually_status(&app, &fresh, &victim.access_token, 401).await;
        }

        let answer = assert_ok(
            app.call(
                "PUT",
                &spec_path(UNSTABLE, "lock", &victim.user_id),
                Some(&admin.access_token),
                Some(&json!({"locked": false})),
            )
            .await,
        );
        assert_eq!(answer, json!({"locked": false}));
        for base in &bases {
            eventually_status(&app, base, &victim.access_token, 200).await;
        }
        let body = assert_ok(app.get(&lock, Some(&admin.access_token)).await);
        assert_eq!(body, json!({"locked": false}));
    }
);

e2e!(
    non_admins_are_refused_before_any_lookup,
    |app: TestApp| async move {
        let user = app.register_user("nuser", false).await;
        let other = app.register_user("nother", false).await;
        let missing = app.user_id("nobody-here");
        let token = Some(user.access_token.as_str());
        for target in [
            other.user_id.as_str(),
            missing.as_str(),
            user.user_id.as_str(),
            "@someone:remote.example",
            "not-a-user-id",
        ] {
            let mut calls = Vec::new();
            for prefix in [V1, UNSTABLE] {
                for flag in ["suspend", "lock"] {
                    let path = spec_path(prefix, flag, target);
                    let field = if flag == "suspend" {
                        "suspended"
                    } else {
                        "locked"
                    };
                    calls.push(app.get(&path, token).await);
                    calls.push(
                        app.call("PUT", &path, token, Some(&json!({field: true})))
                            .await,
                    );
                }
            }
            calls.push(
                app.call(
                    "PUT",
                    &format!("{SYNAPSE_SUSPEND}/{}", enc(target)),
                    token,
                    Some(&json!({"suspend": true})),
                )
                .await,
            );
            for reply in &calls {
                assert_error(
                    reply,
                    403,
                    "M_FORBIDDEN",
                    Some("You are not a server admin"),
                );
            }
        }
        // Without a token: 401, whoever the target.
        let reply = app
            .get(&spec_path(V1, "suspend", &other.user_id), None)
            .await;
        assert_error(&reply, 401, "M_MISSING_TOKEN", None);
        // Nothing changed.
        eventually_suspended(&app, &app.base_url, &other, false).await;
    }
);

e2e!(moderation_error_rows, |app: TestApp| async move {
    let admin = app.register_user("emod", true).await;
    let other_admin = app.register_user("eother", true).await;
    let user = app.register_user("euser", false).await;
    let gone = app.register_user("egone", false).await;
    let token = Some(admin.access_token.as_str());
    assert_ok(
        app.post(
            &format!("/_synapse/admin/v1/deactivate/{}", gone.user_id),
            token,
            &json!({}),
        )
        .await,
    );
    let missing = app.user_id("emissing");
    let deployment = &app;
    for prefix in [V1, UNSTABLE] {
        for (flag, field) in [("suspend", "suspended"), ("lock", "locked")] {
            let path = |target: &str| spec_path(prefix, flag, target);
            let put = |target: &str, body: Value| {
                let path = path(target);
                async move { deployment.call("PUT", &path, token, Some(&body)).await }
            };
            let on = json!({field: true});
            // Malformed and remote IDs.
            assert_error(
                &app.get(&path("not-a-user-id"), token).await,
                400,
                "M_INVALID_PARAM",
                None,
            );
            for reply in [
                app.get(&path("@someone:remote.example"), token).await,
                put("@someone:remote.example", on.clone()).await,
            ] {
                assert_error(
                    &reply,
                    400,
                    "M_INVALID_PARAM",
                    Some("User does not belong to the local server"),
                );
            }
            // Unknown and deactivated users are not found.
            for target in [missing.as_str(), gone.user_id.as_str()] {
                assert_error(
                    &app.get(&path(target), token).await,
                    404,
                    "M_NOT_FOUND",
                    Some("User not found"),
                );
                assert_error(&put(target, on.clone()).await, 404, "M_NOT_FOUND", None);
            }
            // Admins are out of each other's reach, and nobody changes their own flag.
            assert_error(
                &app.get(&path(&other_admin.user_id), token).await,
                403,
                "M_FORBIDDEN",
                Some(&format!("Cannot {flag} another server admin")),
            );
            assert_error(
                &put(&other_admin.user_id, on.clone()).await,
                403,
                "M_FORBIDDEN",
                Some(&format!("Cannot {flag} another server admin")),
            );
            assert_error(
                &put(&admin.user_id, on.clone()).await,
                403,
                "M_FORBIDDEN",
                Some(&format!("You cannot {flag} your own account")),
            );
            let own = assert_ok(app.get(&path(&admin.user_id), token).await);
            assert_eq!(own, json!({field: false}));
            // The body: required, a boolean, and present at all.
            assert_error(
                &put(&user.user_id, json!({})).await,
                400,
                "M_MISSING_PARAM",
                Some(&format!("Missing parameter: {field}")),
            );
            assert_error(
                &put(&user.user_id, json!({field: "yes"})).await,
                400,
                "M_BAD_JSON",
                None,
            );
            let reply = app
                .send(
                    app.request("PUT", &path(&user.user_id))
                        .bearer_auth(&admin.access_token),
                )
                .await;
            assert_error(&reply, 400, "M_NOT_JSON", None);
            // Answers are idempotent.
            for _ in 0..2 {
                let body = assert_ok(put(&user.user_id, json!({field: false})).await);
                assert_eq!(body, json!({field: false}));
            }
        }
    }

    // Synapse's form: its own words, and deactivated users are found.
    let synapse = |target: &str| format!("{SYNAPSE_SUSPEND}/{}", enc(target));
    let reply = app
        .call(
            "PUT",
            &synapse("@someone:remote.example"),
            token,
            Some(&json!({"suspend": true})),
        )
        .await;
    assert_error(
        &reply,
        400,
        "M_UNKNOWN",
        Some("Can only suspend local users"),
    );
    let reply = app
        .call(
            "PUT",
            &synapse("not-a-user-id"),
            token,
            Some(&json!({"suspend": true})),
        )
        .await;
    assert_error(&reply, 400, "M_INVALID_PARAM", None);
    // Unknown user before the body is read.
    let reply = app
        .call(
            "PUT",
            &synapse(&missing),
            token,
            Some(&json!({"suspend": "x"})),
        )
        .await;
    assert_error(&reply, 404, "M_NOT_FOUND", Some("User not found"));
    let reply = app
        .call("PUT", &synapse(&user.user_id), token, Some(&json!({})))
        .await;
    assert_error(&reply, 400, "M_MISSING_PARAM", None);
    let reply = app
        .call(
            "PUT",
            &synapse(&user.user_id),
            token,
            Some(&json!({"suspend": 1})),
        )
        .await;
    assert_error(&reply, 400, "M_BAD_JSON", None);
    let body = assert_ok(
        app.call(
            "PUT",
            &synapse(&gone.user_id),
            token,
            Some(&json!({"suspend": true})),
        )
        .await,
    );
    assert_eq!(
        body,
        json!({format!("user_{}_suspended", gone.user_id): true})
    );
    // Synapse's suspend reaches admins too (the spec's does not).
    let body = assert_ok(
        app.call(
            "PUT",
            &synapse(&other_admin.user_id),
            token,
            Some(&json!({"suspend": false})),
        )
        .await,
    );
    assert_eq!(
        body,
        json!({format!("user_{}_suspended", other_admin.user_id): false})
    );
});

e2e!(
    capabilities_show_moderation_to_admins_only,
    |app: TestApp| async move {
        let admin = app.register_user("cadmin", true).await;
        let user = app.register_user("cuser", false).await;
        for version in ["r0", "v3"] {
            let path = format!("/_matrix/client/{version}/capabilities");
            for (who, allowed) in [(&admin, true), (&user, false)] {
                let body = assert_ok(app.get(&path, Some(&who.access_token)).await);
                let caps = &body["capabilities"];
                let moderation = json!({"lock": allowed, "suspend": allowed});
                assert_eq!(caps["m.account_moderation"], moderation, "{body}");
                assert_eq!(caps["uk.timedout.msc4323"], moderation, "{body}");
                for name in [
                    "m.change_password",
                    "m.set_displayname",
                    "m.set_avatar_url",
                    "m.3pid_changes",
                ] {
                    assert_eq!(caps[name], json!({"enabled": false}), "{name}: {body}");
                }
                assert_eq!(
                    caps["m.room_versions"],
                    json!({"default": "10", "available": {"10": "stable"}}),
                    "{body}"
                );
            }
            assert_error(&app.get(&path, None).await, 401, "M_MISSING_TOKEN", None);
        }
        // The advertised default is what createRoom really makes.
        let room = create_room(&app, &user, json!({})).await;
        let details = assert_ok(
            app.get(
                &format!("/_synapse/admin/v1/rooms/{}", enc(&room)),
                Some(&admin.access_token),
            )
            .await,
        );
        assert_eq!(details["version"], "10", "{details}");
        // Clients on the unstable prefix look for MSC4323 in /versions.
        let versions = assert_ok(app.get("/_matrix/client/versions", None).await);
        assert_eq!(versions["unstable_features"]["uk.timedout.msc4323"], true);
    }
);

e2e!(
    a_python_client_parses_the_capabilities,
    |app: TestApp| async move {
        let admin = app.register_user("pyadmin", true).await;
        let user = app.register_user("pyuser", false).await;
        for (who, allowed) in [(&admin, true), (&user, false)] {
            let stdout = run_python(&[
                &client_script("nio_capabilities.py"),
                &app.base_url,
                &who.user_id,
                &who.password,
            ])
            .await;
            let result: Value = serde_json::from_str(stdout.lines().last().unwrap_or_default())
                .unwrap_or_else(|e| panic!("nio_capabilities.py printed no JSON ({e}): {stdout}"));
            assert_eq!(
                result,
                json!({
                    "lock": allowed,
                    "suspend": allowed,
                    "change_password": false,
                    "default_room_version": "10",
                    "room_versions": ["10"],
                }),
                "{}",
                who.user_id
            );
        }
    }
);
