//! docs/http-api.md §5, room endpoints: createRoom, join, leave, invite, joined_rooms,
//! joined_members, members, state, send, messages, tags — under r0 and v3, with their
//! error rows.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::harness::*;

/// `!`, `:`, `@`, `#`, `$` percent-encoded, as careful clients send path parameters.
pub fn enc(id: &str) -> String {
    id.replace('!', "%21")
        .replace(':', "%3A")
        .replace('@', "%40")
        .replace('#', "%23")
        .replace('$', "%24")
}

/// `/_matrix/client/v3{path}`.
pub fn v3(path: &str) -> String {
    format!("/_matrix/client/v3{path}")
}

/// Creates a room as `user`; returns its ID.
pub async fn create_room(app: &TestApp, user: &TestUser, body: Value) -> String {
    let reply = assert_ok(
        app.post(&v3("/createRoom"), Some(&user.access_token), &body)
            .await,
    );
    reply["room_id"]
        .as_str()
        .unwrap_or_else(|| panic!("no room_id in {reply}"))
        .to_owned()
}

/// Sends an `m.text` message; returns the reply.
pub async fn say(app: &TestApp, user: &TestUser, room: &str, txn: &str, body: &str) -> Reply {
    app.call(
        "PUT",
        &v3(&format!("/rooms/{}/send/m.room.message/{txn}", enc(room))),
        Some(&user.access_token),
        Some(&json!({"msgtype": "m.text", "body": body})),
    )
    .await
}

/// The `body` of each `m.room.message` in a list of events.
pub fn bodies(events: &Value) -> Vec<String> {
    events
        .as_array()
        .map(|events| {
            events
                .iter()
                .filter(|e| e["type"] == "m.room.message")
                .filter_map(|e| e["content"]["body"].as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

e2e!(
    create_invite_join_members_leave,
    |app: TestApp| async move {
        let alice = app.register_user("alice", false).await;
        let bob = app.register_user("bob", false).await;
        let room = create_room(
            &app,
            &alice,
            json!({
                "name": "Planning",
                "topic": "Plans",
                "invite": [bob.user_id],
                "preset": "private_chat",
                "is_direct": false,
                "visibility": "private",
            }),
        )
        .await;
        assert!(
            room.starts_with('!') && room.ends_with(&format!(":{SERVER_NAME}")),
            "{room}"
        );

        // Bob is invited, not joined.
        let joined = assert_ok(app.get(&v3("/joined_rooms"), Some(&bob.access_token)).await);
        assert_eq!(joined, json!({"joined_rooms": []}));

        // Join through /join/{roomIdOrAlias}, percent-encoded.
        let body = assert_ok(
            app.post(
                &format!("/_matrix/client/r0/join/{}", enc(&room)),
                Some(&bob.access_token),
                &json!({}),
            )
            .await,
        );
        assert_eq!(body, json!({"room_id": room}));
        for version in ["r0", "v3"] {
            let joined = assert_ok(
                app.get(
                    &format!("/_matrix/client/{version}/joined_rooms"),
                    Some(&bob.access_token),
                )
                .await,
            );
            assert_eq!(joined, json!({"joined_rooms": [room]}));
        }

        // joined_members: both, with display names (the localpart by default).
        let members = assert_ok(
            app.get(
                &v3(&format!("/rooms/{room}/joined_members")),
                Some(&bob.access_token),
            )
            .await,
        );
        let joined = members["joined"].as_object().cloned().unwrap_or_default();
        assert_eq!(joined.len(), 2, "{members}");
        assert_eq!(joined[&alice.user_id]["display_name"], "alice", "{members}");
        assert!(joined.contains_key(&bob.user_id), "{members}");

        // members: m.room.member events, filterable.
        let members = assert_ok(
            app.get(
                &format!("/_matrix/client/r0/rooms/{}/members", enc(&room)),
                Some(&alice.access_token),
            )
            .await,
        );
        let chunk = members["chunk"].as_array().cloned().unwrap_or_default();
        assert_eq!(chunk.len(), 2, "{members}");
        assert!(
            chunk
                .iter()
                .all(|e| e["type"] == "m.room.member" && e["event_id"].is_string()),
            "{members}"
        );
        let only_alice = assert_ok(
            app.get(
                &v3(&format!(
                    "/rooms/{room}/members?not_membership=leave&membership=join"
                )),
                Some(&alice.access_token),
            )
            .await,
        );
        assert_eq!(only_alice["chunk"].as_array().map(Vec::len), Some(2));

        // state: the preset's events plus name and topic.
        let state = assert_ok(
            app.get(
                &v3(&format!("/rooms/{}/state", enc(&room))),
                Some(&bob.access_token),
            )
            .await,
        );
        let events = state.as_array().cloned().unwrap_or_default();
        let find = |t: &str| {
            events
                .iter()
                .find(|e| e["type"] == t)
                .cloned()
                .unwrap_or_else(|| panic!("{t} missing from {state}"))
        };
        assert_eq!(find("m.room.name")["content"]["name"], "Planning");
        assert_eq!(find("m.room.topic")["content"]["topic"], "Plans");
        assert_eq!(find("m.room.join_rules")["content"]["join_rule"], "invite");
        assert_eq!(find("m.room.create")["sender"], alice.user_id.as_str());
        let levels = find("m.room.power_levels");
        assert_eq!(levels["content"]["users"][&alice.user_id], 100);
        for event in &events {
            for key in [
                "event_id",
                "type",
                "sender",
                "room_id",
                "origin_server_ts",
                "content",
                "state_key",
            ] {
                assert!(event.get(key).is_some(), "{key} missing from {event}");
            }
            assert!(
                event["event_id"]
                    .as_str()
                    .is_some_and(|id| id.starts_with('$') && id.len() == 44)
            );
        }

        // Leave; joined_rooms forgets it; leaving again is fine.
        for _ in 0..2 {
            let body = assert_ok(
                app.post(
                    &v3(&format!("/rooms/{room}/leave")),
                    Some(&bob.access_token),
                    &json!({}),
                )
                .await,
            );
            assert_eq!(body, json!({}));
        }
        let joined = assert_ok(app.get(&v3("/joined_rooms"), Some(&bob.access_token)).await);
        assert_eq!(joined, json!({"joined_rooms": []}));
        // After leaving, joined_members is refused but members shows the room at the leave.
        let reply = app
            .get(
                &v3(&format!("/rooms/{room}/joined_members")),
                Some(&bob.access_token),
            )
            .await;
        assert_error(&reply, 403, "M_FORBIDDEN", None);
        assert_ok(
            app.get(
                &v3(&format!("/rooms/{room}/members")),
                Some(&bob.access_token),
            )
            .await,
        );

        // Invite by HTTP, then join via /rooms/{roomId}/join; an empty body counts as {}.
        let carol = app.register_user("carol", false).await;
        let body = assert_ok(
            app.post(
                &v3(&format!("/rooms/{}/invite", enc(&room))),
                Some(&alice.access_token),
                &json!({"user_id": carol.user_id}),
            )
            .await,
        );
        assert_eq!(body, json!({}));
        let (status, body) = app
            .send(
                app.request("POST", &v3(&format!("/rooms/{room}/join")))
                    .bearer_auth(&carol.access_token),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(body, json!({"room_id": room}));

        // A public room admits anyone.
        let public = create_room(&app, &alice, json!({"preset": "public_chat"})).await;
        assert_ok(
            app.post(
                &v3(&format!("/join/{public}")),
                Some(&bob.access_token),
                &json!({}),
            )
            .await,
        );
    }
);

e2e!(room_error_rows, |app: TestApp| async move {
    let alice = app.register_user("alice", false).await;
    let bob = app.register_user("bob", false).await;
    let room = create_room(&app, &alice, json!({"name": "private"})).await;
    let missing = format!("!doesnotexist:{SERVER_NAME}");

    // No token: 401 before anything else, on every room endpoint.
    for (method, path) in [
        ("POST", v3("/createRoom")),
        ("POST", v3(&format!("/join/{room}"))),
        ("POST", v3("/rooms/not-a-room/join")),
        ("POST", v3(&format!("/rooms/{room}/leave"))),
        ("POST", v3(&format!("/rooms/{room}/invite"))),
        ("GET", v3("/joined_rooms")),
        ("GET", v3(&format!("/rooms/{room}/joined_members"))),
        ("GET", v3(&format!("/rooms/{room}/members"))),
        ("GET", v3(&format!("/rooms/{room}/messages"))),
        ("GET", v3(&format!("/rooms/{room}/state"))),
        ("PUT", v3(&format!("/rooms/{room}/send/m.room.message/t1"))),
        (
            "GET",
            v3(&format!("/user/{}/rooms/{room}/tags", alice.user_id)),
        ),
        ("GET", v3("/sync")),
    ] {
        let reply = app.call(method, &path, None, None).await;
        assert_error(&reply, 401, "M_MISSING_TOKEN", None);
    }

    let token = Some(alice.access_token.as_str());
    // Malformed room IDs and bad escapes: 400 M_INVALID_PARAM.
    for bad in ["not-a-room", "%21nocolon", "%ZZ", "%21r%3A"] {
        for (method, path) in [
            ("POST", v3(&format!("/join/{bad}"))),
            ("POST", v3(&format!("/rooms/{bad}/join"))),
            ("POST", v3(&format!("/rooms/{bad}/leave"))),
            ("POST", v3(&format!("/rooms/{bad}/invite"))),
            ("GET", v3(&format!("/rooms/{bad}/joined_members"))),
            ("GET", v3(&format!("/rooms/{bad}/members"))),
            ("GET", v3(&format!("/rooms/{bad}/messages"))),
            ("GET", v3(&format!("/rooms/{bad}/state"))),
            ("PUT", v3(&format!("/rooms/{bad}/send/m.room.message/t1"))),
            (
                "GET",
                v3(&format!("/user/{}/rooms/{bad}/tags", alice.user_id)),
            ),
        ] {
            let reply = app.call(method, &path, token, Some(&json!({}))).await;
            assert_error(&reply, 400, "M_INVALID_PARAM", None);
        }
    }

    // Unknown room: 404 M_NOT_FOUND.
    for (method, path) in [
        ("POST", v3(&format!("/join/{missing}"))),
        ("POST", v3(&format!("/rooms/{missing}/join"))),
        ("POST", v3(&format!("/rooms/{missing}/leave"))),
        ("GET", v3(&format!("/rooms/{missing}/joined_members"))),
        ("GET", v3(&format!("/rooms/{missing}/members"))),
        ("GET", v3(&format!("/rooms/{missing}/messages"))),
        ("GET", v3(&format!("/rooms/{missing}/state"))),
        (
            "PUT",
            v3(&format!("/rooms/{missing}/send/m.room.message/t1")),
        ),
    ] {
        let reply = app.call(method, &path, token, Some(&json!({}))).await;
        assert_error(&reply, 404, "M_NOT_FOUND", None);
    }
    let reply = app
        .post(
            &v3(&format!("/rooms/{missing}/invite")),
            token,
            &json!({"user_id": bob.user_id}),
        )
        .await;
    assert_error(&reply, 404, "M_NOT_FOUND", None);

    // Aliases are not supported: well-formed is 404, malformed 400.
    let reply = app
        .post(
            &v3(&format!("/join/{}", enc(&format!("#nope:{SERVER_NAME}")))),
            token,
            &json!({}),
        )
        .await;
    assert_error(&reply, 404, "M_NOT_FOUND", None);
    let reply = app.post(&v3("/join/%23nocolon"), token, &json!({})).await;
    assert_error(&reply, 400, "M_INVALID_PARAM", None);

    // Not invited to a private room / not a member.
    let bob_token = Some(bob.access_token.as_str());
    let reply = app
        .post(&v3(&format!("/join/{room}")), bob_token, &json!({}))
        .await;
    assert_error(&reply, 403, "M_FORBIDDEN", None);
    for path in [
        v3(&format!("/rooms/{room}/joined_members")),
        v3(&format!("/rooms/{room}/members")),
        v3(&format!("/rooms/{room}/messages")),
        v3(&format!("/rooms/{room}/state")),
    ] {
        assert_error(&app.get(&path, bob_token).await, 403, "M_FORBIDDEN", None);
    }
    assert_error(
        &say(&app, &bob, &room, "t1", "hi").await,
        403,
        "M_FORBIDDEN",
        None,
    );
    let reply = app
        .post(&v3(&format!("/rooms/{room}/leave")), bob_token, &json!({}))
        .await;
    assert_error(&reply, 403, "M_FORBIDDEN", None);
    let reply = app
        .post(
            &v3(&format!("/rooms/{room}/invite")),
            bob_token,
            &json!({"user_id": bob.user_id}),
        )
        .await;
    assert_error(&reply, 403, "M_FORBIDDEN", None);

    // Invite bodies.
    let invite = v3(&format!("/rooms/{room}/invite"));
    assert_error(
        &app.post(&invite, token, &json!({})).await,
        400,
        "M_MISSING_PARAM",
        None,
    );
    assert_error(
        &app.post(&invite, token, &json!({"user_id": 5})).await,
        400,
        "M_BAD_JSON",
        None,
    );
    assert_error(
        &app.post(&invite, token, &json!({"user_id": "not-a-user"}))
            .await,
        400,
        "M_INVALID_PARAM",
        None,
    );
    // Inviting someone already joined.
    assert_error(
        &app.post(&invite, token, &json!({"user_id": alice.user_id}))
            .await,
        403,
        "M_FORBIDDEN",
        None,
    );

    // createRoom bodies.
    let create = v3("/createRoom");
    for (body, code) in [
        (json!({"preset": "nonsense"}), "M_BAD_JSON"),
        (json!({"visibility": "sideways"}), "M_BAD_JSON"),
        (json!({"name": 5}), "M_BAD_JSON"),
        (json!({"invite": "not-a-list"}), "M_BAD_JSON"),
        (json!({"invite": ["not-a-user"]}), "M_INVALID_PARAM"),
        (json!({"is_direct": "yes"}), "M_BAD_JSON"),
        (
            json!({"initial_state": [{"type": "m.room.topic"}]}),
            "M_BAD_JSON",
        ),
        (json!({"creation_content": []}), "M_BAD_JSON"),
    ] {
        let reply = app.post(&create, token, &body).await;
        assert_error(&reply, 400, code, None);
    }
    let (status, body) = app
        .send(
            app.request("POST", &create)
                .bearer_auth(&alice.access_token)
                .header("Content-Type", "application/json")
                .body("{not json"),
        )
        .await;
    assert_eq!(
        (status.as_u16(), body["errcode"].as_str()),
        (400, Some("M_NOT_JSON"))
    );

    // send bodies: not JSON, not an object.
    let send = v3(&format!("/rooms/{room}/send/m.room.message/txn-bad"));
    let (status, body) = app
        .send(
            app.request("PUT", &send)
                .bearer_auth(&alice.access_token)
                .body("nope"),
        )
        .await;
    assert_eq!(
        (status.as_u16(), body["errcode"].as_str()),
        (400, Some("M_NOT_JSON"))
    );
    let reply = app.call("PUT", &send, token, Some(&json!([1, 2]))).await;
    assert_error(&reply, 400, "M_BAD_JSON", None);

    // Bad tokens and query parameters: 400 M_INVALID_PARAM, never 500.
    for path in [
        v3(&format!("/rooms/{room}/messages?from=garbage")),
        v3(&format!("/rooms/{room}/messages?from=s1&dir=sideways")),
        v3(&format!("/rooms/{room}/messages?limit=-3")),
        v3(&format!("/rooms/{room}/messages?limit=ten")),
        v3(&format!("/rooms/{room}/members?membership=lurking")),
        v3("/sync?since=garbage"),
        v3("/sync?since=s-5"),
        v3("/sync?timeout=soon"),
        v3("/sync?full_state=maybe"),
    ] {
        let reply = app.get(&path, token).await;
        assert_error(&reply, 400, "M_INVALID_PARAM", None);
    }

    // Tags: own only; malformed IDs 400.
    let tags = assert_ok(
        app.get(
            &v3(&format!(
                "/user/{}/rooms/{}/tags",
                enc(&alice.user_id),
                enc(&room)
            )),
            token,
        )
        .await,
    );
    assert_eq!(tags, json!({"tags": {}}));
    let reply = app
        .get(
            &v3(&format!("/user/{}/rooms/{room}/tags", bob.user_id)),
            token,
        )
        .await;
    assert_error(&reply, 403, "M_FORBIDDEN", None);
    let reply = app
        .get(&v3(&format!("/user/not-a-user/rooms/{room}/tags")), token)
        .await;
    assert_error(&reply, 400, "M_INVALID_PARAM", None);

    // Wrong methods are 405.
    for (method, path) in [
        ("GET", v3("/createRoom")),
        ("POST", v3("/joined_rooms")),
        ("POST", v3(&format!("/rooms/{room}/send/m.room.message/t"))),
        ("POST", v3("/sync")),
    ] {
        let reply = app.call(method, &path, token, None).await;
        assert_error(&reply, 405, "M_UNRECOGNIZED", None);
    }
});

e2e!(
    send_power_levels_and_idempotent_txn,
    |app: TestApp| async move {
        let alice = app.register_user("alice", false).await;
        let bob = app.register_user("bob", false).await;
        let room = create_room(
            &app,
            &alice,
            json!({
                "invite": [bob.user_id],
                "power_level_content_override": {"events_default": 50},
            }),
        )
        .await;
        assert_ok(
            app.post(
                &v3(&format!("/rooms/{room}/join")),
                Some(&bob.access_token),
                &json!({}),
            )
            .await,
        );
        // Bob (0) below the send level (50).
        let reply = say(&app, &bob, &room, "b1", "hello").await;
        assert_error(&reply, 403, "M_FORBIDDEN", None);

        // Same txnId from the same device: the first event ID, whatever the body.
        let first = assert_ok(say(&app, &alice, &room, "t1", "one").await);
        let again = assert_ok(say(&app, &alice, &room, "t1", "changed").await);
        assert_eq!(first, again);
        let event_id = first["event_id"].as_str().unwrap_or_default();
        assert!(event_id.starts_with('$') && event_id.len() == 44, "{first}");
        let other = assert_ok(say(&app, &alice, &room, "t2", "two").await);
        assert_ne!(other, first);
        // Under r0 too, and with an encoded event type.
        let r0 = assert_ok(
            app.call(
                "PUT",
                &format!(
                    "/_matrix/client/r0/rooms/{}/send/m.room.message/t3",
                    enc(&room)
                ),
                Some(&alice.access_token),
                Some(&json!({"msgtype": "m.text", "body": "three"})),
            )
            .await,
        );
        assert!(r0["event_id"].is_string());
        let custom = assert_ok(
            app.call(
                "PUT",
                &v3(&format!("/rooms/{room}/send/org.example.custom%2Fevent/t4")),
                Some(&alice.access_token),
                Some(&json!({"any": "thing"})),
            )
            .await,
        );
        assert!(custom["event_id"].is_string());

        // A new login (another device) with the same txnId sends a new event.
        let (status, login) = app.login("alice", &alice.password).await;
        assert_eq!(status, StatusCode::OK);
        let token = login["access_token"].as_str().unwrap_or_default();
        let other_device = assert_ok(
            app.call(
                "PUT",
                &v3(&format!("/rooms/{room}/send/m.room.message/t1")),
                Some(token),
                Some(&json!({"msgtype": "m.text", "body": "one"})),
            )
            .await,
        );
        assert_ne!(other_device, first);

        let page = assert_ok(
            app.get(
                &v3(&format!("/rooms/{room}/messages?dir=b&limit=10")),
                Some(&bob.access_token),
            )
            .await,
        );
        assert_eq!(bodies(&page["chunk"]), vec!["one", "three", "two", "one"]);
        let custom_event = page["chunk"]
            .as_array()
            .and_then(|c| c.iter().find(|e| e["type"] == "org.example.custom/event"))
            .cloned()
            .unwrap_or_else(|| panic!("custom event missing from {page}"));
        assert_eq!(custom_event["content"], json!({"any": "thing"}));
        assert!(custom_event.get("state_key").is_none());
    }
);

e2e!(messages_paginate_with_tokens, |app: TestApp| async move {
    let alice = app.register_user("alice", false).await;
    let bob = app.register_user("bob", false).await;
    let room = create_room(&app, &alice, json!({"invite": [bob.user_id]})).await;
    assert_ok(
        app.post(
            &v3(&format!("/join/{room}")),
            Some(&bob.access_token),
            &json!({}),
        )
        .await,
    );
    for i in 1..=5 {
        assert_ok(say(&app, &alice, &room, &format!("m{i}"), &format!("m{i}")).await);
    }
    let token = Some(bob.access_token.as_str());
    let messages = |query: String| v3(&format!("/rooms/{}/messages?{query}", enc(&room)));

    // Backwards from the end, two per page.
    let page = assert_ok(app.get(&messages("dir=b&limit=2".into()), token).await);
    assert_eq!(bodies(&page["chunk"]), vec!["m5", "m4"]);
    assert!(page["start"].is_string());
    let end = page["end"].as_str().unwrap_or_default().to_owned();
    let page = assert_ok(
        app.get(&messages(format!("dir=b&limit=2&from={end}")), token)
            .await,
    );
    assert_eq!(bodies(&page["chunk"]), vec!["m3", "m2"]);
    assert_eq!(page["start"], end.as_str());

    // Forwards from the start, under r0.
    let page = assert_ok(
        app.get(
            &format!("/_matrix/client/r0/rooms/{room}/messages?dir=f&limit=100"),
            token,
        )
        .await,
    );
    let chunk = page["chunk"].as_array().cloned().unwrap_or_default();
    assert_eq!(chunk[0]["type"], "m.room.create");
    assert_eq!(bodies(&page["chunk"]), vec!["m1", "m2", "m3", "m4", "m5"]);
    let end = page["end"].as_str().unwrap_or_default().to_owned();
    let page = assert_ok(app.get(&messages(format!("dir=f&from={end}")), token).await);
    assert_eq!(page["chunk"], json!([]));
    assert!(page.get("end").is_none(), "{page}");

    // A /sync token is a valid `from`; the timeline's prev_batch continues it.
    let sync = assert_ok(
        app.get(
            &v3("/sync?filter=%7B%22room%22%3A%7B%22timeline%22%3A%7B%22limit%22%3A2%7D%7D%7D"),
            token,
        )
        .await,
    );
    let next_batch = sync["next_batch"].as_str().unwrap_or_default();
    let page = assert_ok(
        app.get(&messages(format!("dir=b&limit=1&from={next_batch}")), token)
            .await,
    );
    assert_eq!(bodies(&page["chunk"]), vec!["m5"]);
    let timeline = &sync["rooms"]["join"][&room]["timeline"];
    assert_eq!(bodies(&timeline["events"]), vec!["m4", "m5"], "{sync}");
    assert_eq!(timeline["limited"], true);
    let prev_batch = timeline["prev_batch"].as_str().unwrap_or_default();
    let page = assert_ok(
        app.get(&messages(format!("dir=b&limit=1&from={prev_batch}")), token)
            .await,
    );
    assert_eq!(bodies(&page["chunk"]), vec!["m3"]);

    // After leaving, history up to the leave only.
    assert_ok(
        app.post(&v3(&format!("/rooms/{room}/leave")), token, &json!({}))
            .await,
    );
    assert_ok(say(&app, &alice, &room, "after", "after").await);
    let page = assert_ok(app.get(&messages("dir=b&limit=3".into()), token).await);
    assert_eq!(page["chunk"][0]["type"], "m.room.member");
    assert_eq!(page["chunk"][0]["content"]["membership"], "leave");
    assert_eq!(bodies(&page["chunk"]), vec!["m5", "m4"]);
});
