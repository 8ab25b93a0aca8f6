//! End-to-end tests of room deletion, purge and block (`docs/http-api.md` §7, "Room
//! deletion, purge and block"): Synapse's v1 (synchronous) and v2 (job) deletes with and
//! without purge, delete status by ID and by room, block/unblock and refused rejoins,
//! the notification room of `new_room_user_id`, Dendrite's purgeRoom, server notices
//! after their room was purged, and bad input. Rows left behind are counted straight in
//! membership-svc's store, over its one list of per-room tables.

use std::time::Duration;

use membership_svc::store::{self, purge};
use serde_json::{Value, json};

use crate::harness::*;
use crate::rooms::{create_room, enc, v3};

fn v1_path(room: &str) -> String {
    format!("/_synapse/admin/v1/rooms/{room}")
}

fn v2_path(room: &str) -> String {
    format!("/_synapse/admin/v2/rooms/{room}")
}

fn block_path(room: &str) -> String {
    format!("/_synapse/admin/v1/rooms/{room}/block")
}

fn status_path(delete_id: &str) -> String {
    format!("/_synapse/admin/v2/rooms/delete_status/{delete_id}")
}

/// Rows the room still has, per per-room table; all zero after a purge.
async fn rows_left(app: &TestApp, room: &str) -> Vec<(&'static str, i64)> {
    let store = app.membership_store().await;
    let mut conn = store.conn().await.unwrap_or_else(|e| panic!("conn: {e}"));
    purge::room_row_counts(&mut conn, room)
        .await
        .unwrap_or_else(|e| panic!("counts: {e}"))
        .into_iter()
        .filter(|(_, count)| *count > 0)
        .collect()
}

async fn membership(app: &TestApp, room: &str, user: &str) -> String {
    let store = app.membership_store().await;
    let mut conn = store.conn().await.unwrap_or_else(|e| panic!("conn: {e}"));
    store::membership_of(&mut conn, room, user)
        .await
        .unwrap_or_else(|e| panic!("membership: {e}"))
        .map(|m| m.membership.as_str().to_owned())
        .unwrap_or_default()
}

async fn join(app: &TestApp, user: &TestUser, room: &str) -> Reply {
    app.post(
        &v3(&format!("/join/{}", enc(room))),
        Some(&user.access_token),
        &json!({}),
    )
    .await
}

async fn say(app: &TestApp, user: &TestUser, room: &str, txn: &str) {
    let path = v3(&format!("/rooms/{}/send/m.room.message/{txn}", enc(room)));
    let request = app
        .request("PUT", &path)
        .bearer_auth(&user.access_token)
        .json(&json!({"msgtype": "m.text", "body": txn}));
    assert_ok(app.send(request).await);
}

/// A public room created by `owner`, joined by `members`, with a message each.
async fn busy_room(app: &TestApp, owner: &TestUser, members: &[&TestUser]) -> String {
    let room = create_room(app, owner, json!({"preset": "public_chat"})).await;
    for member in members {
        assert_ok(join(app, member, &room).await);
        say(app, member, &room, &format!("hi-{}", member.user_id.len())).await;
    }
    room
}

async fn delete(app: &TestApp, admin: &TestUser, path: &str, body: Option<&Value>) -> Reply {
    app.call("DELETE", path, Some(&admin.access_token), body)
        .await
}

/// Polls a deletion until it is complete or failed; returns its status.
async fn finished(app: &TestApp, admin: &TestUser, delete_id: &str) -> Value {
    for _ in 0..600 {
        let status = assert_ok(
            app.get(&status_path(delete_id), Some(&admin.access_token))
                .await,
        );
        if status["status"] == "complete" || status["status"] == "failed" {
            return status;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("deletion {delete_id} did not finish");
}

fn sorted(value: &Value) -> Vec<String> {
    let mut users: Vec<String> = value
        .as_array()
        .unwrap_or_else(|| panic!("not an array: {value}"))
        .iter()
        .filter_map(|v| v.as_str().map(str::to_owned))
        .collect();
    users.sort();
    users
}

e2e!(v2_delete_purges_and_reports, |app: TestApp| async move {
    let admin = app.register_user("deladmin", true).await;
    let owner = app.register_user("delowner", false).await;
    let member = app.register_user("delmember", false).await;
    let room = busy_room(&app, &owner, &[&member]).await;

    // Empty body = `{}`: purge by default. Raw room ID.
    let started = assert_ok(delete(&app, &admin, &v2_path(&room), None).await);
    let delete_id = started["delete_id"].as_str().unwrap_or_default().to_owned();
    assert_eq!(started, json!({"delete_id": delete_id}));
    let status = finished(&app, &admin, &delete_id).await;
    let mut expected = vec![owner.user_id.clone(), member.user_id.clone()];
    expected.sort();
    assert_eq!(status["status"], "complete", "{status}");
    assert_eq!(status["room_id"], room.as_str());
    assert_eq!(status["delete_id"], delete_id.as_str());
    assert!(status.get("error").is_none(), "{status}");
    assert_eq!(sorted(&status["shutdown_room"]["kicked_users"]), expected);
    assert_eq!(status["shutdown_room"]["failed_to_kick_users"], json!([]));
    assert_eq!(status["shutdown_room"]["local_aliases"], json!([]));
    assert_eq!(status["shutdown_room"]["new_room_id"], Value::Null);

    // By room (percent-encoded), the same status in a list.
    let by_room = assert_ok(
        app.get(
            &format!("/_synapse/admin/v2/rooms/{}/delete_status", enc(&room)),
            Some(&admin.access_token),
        )
        .await,
    );
    assert_eq!(by_room, json!({"results": [status]}));

    // Unknown everywhere, no row left.
    assert!(rows_left(&app, &room).await.is_empty());
    assert_error(&join(&app, &member, &room).await, 404, "M_NOT_FOUND", None);
    let reply = app
        .post(
            &format!("/_dendrite/admin/evacuateRoom/{}", enc(&room)),
            Some(&admin.access_token),
            &json!({}),
        )
        .await;
    assert_error(&reply, 404, "M_NOT_FOUND", None);
    let reply = delete(&app, &admin, &v2_path(&room), Some(&json!({}))).await;
    assert_error(
        &reply,
        404,
        "M_NOT_FOUND",
        Some(&format!("Unknown room id {room}")),
    );
});

e2e!(
    v1_delete_without_purge_moves_members_to_a_new_room,
    |app: TestApp| async move {
        let admin = app.register_user("v1admin", true).await;
        let owner = app.register_user("v1owner", false).await;
        let member = app.register_user("v1member", false).await;
        let room = busy_room(&app, &owner, &[&member]).await;

        let body = json!({
            "purge": false,
            "new_room_user_id": admin.user_id,
            "room_name": "Moved",
            "unknown": [1, 2],
        });
        let answer = assert_ok(delete(&app, &admin, &v1_path(&enc(&room)), Some(&body)).await);
        let mut expected = vec![owner.user_id.clone(), member.user_id.clone()];
        expected.sort();
        assert_eq!(sorted(&answer["kicked_users"]), expected);
        assert_eq!(answer["failed_to_kick_users"], json!([]));
        assert_eq!(answer["local_aliases"], json!([]));
        let new_room = answer["new_room_id"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        assert!(new_room.starts_with('!'), "{answer}");

        // Not purged: the old room still exists, its members have left; they are in the
        // new room, with its creator, who posted the default message.
        assert!(!rows_left(&app, &room).await.is_empty());
        for user in [&owner, &member] {
            assert_eq!(membership(&app, &room, &user.user_id).await, "leave");
            assert_eq!(membership(&app, &new_room, &user.user_id).await, "join");
        }
        assert_eq!(membership(&app, &new_room, &admin.user_id).await, "join");
        let store = app.membership_store().await;
        let mut conn = store.conn().await.unwrap_or_else(|e| panic!("conn: {e}"));
        let events =
            store::events_between(&mut conn, &new_room, 0, i64::MAX, 1000, store::Dir::Forward)
                .await
                .unwrap_or_else(|e| panic!("events: {e}"));
        let content = |kind: &str| {
            events
                .iter()
                .find(|e| e.event_type == kind)
                .and_then(|e| serde_json::from_str::<Value>(&e.content).ok())
                .unwrap_or(Value::Null)
        };
        assert_eq!(content("m.room.name")["name"], "Moved");
        assert_eq!(
            content("m.room.message"),
            json!({
                "msgtype": "m.text",
                "body": "Sharing illegal content on this server is not permitted and rooms in violation will be blocked."
            })
        );
        assert_eq!(content("m.room.power_levels")["users_default"], -10);
        // The old room can be joined again (no block).
        assert_ok(join(&app, &member, &room).await);
    }
);

e2e!(
    block_refuses_joins_and_outlives_a_purge,
    |app: TestApp| async move {
        let admin = app.register_user("blockadmin", true).await;
        let owner = app.register_user("blockowner", false).await;
        let member = app.register_user("blockmember", false).await;
        let room = busy_room(&app, &owner, &[]).await;
        let token = Some(admin.access_token.as_str());

        assert_eq!(
            assert_ok(app.get(&block_path(&room), token).await),
            json!({"block": false})
        );
        let put = |body: Value| {
            let request = app
                .request("PUT", &block_path(&enc(&room)))
                .bearer_auth(&admin.access_token)
                .json(&body);
            app.send(request)
        };
        assert_eq!(
            assert_ok(put(json!({"block": true})).await),
            json!({"block": true})
        );
        assert_eq!(
            assert_ok(app.get(&block_path(&room), token).await),
            json!({"block": true, "user_id": admin.user_id})
        );
        assert_error(
            &join(&app, &member, &room).await,
            403,
            "M_FORBIDDEN",
            Some("This room has been blocked on this server"),
        );
        assert_error(&put(json!({})).await, 400, "M_MISSING_PARAM", None);
        assert_error(
            &put(json!({"block": "yes"})).await,
            400,
            "M_BAD_JSON",
            Some("Param 'block' must be a boolean."),
        );
        assert_eq!(
            assert_ok(put(json!({"block": false})).await),
            json!({"block": false})
        );
        assert_ok(join(&app, &member, &room).await);

        // A room nobody knows can be blocked too.
        let unknown = "!neverseen:bailiff.test";
        let request = app
            .request("PUT", &block_path(unknown))
            .bearer_auth(&admin.access_token)
            .json(&json!({"block": true}));
        assert_eq!(assert_ok(app.send(request).await), json!({"block": true}));

        // Delete with block and purge: the block stays after the room is gone.
        let started =
            assert_ok(delete(&app, &admin, &v2_path(&room), Some(&json!({"block": true}))).await);
        let delete_id = started["delete_id"].as_str().unwrap_or_default().to_owned();
        assert_eq!(
            finished(&app, &admin, &delete_id).await["status"],
            "complete"
        );
        assert!(rows_left(&app, &room).await.is_empty());
        assert_eq!(
            assert_ok(app.get(&block_path(&room), token).await),
            json!({"block": true, "user_id": admin.user_id})
        );
    }
);

e2e!(dendrite_purge_room, |app: TestApp| async move {
    let admin = app.register_user("purgeadmin", true).await;
    let owner = app.register_user("purgeowner", false).await;
    let room = busy_room(&app, &owner, &[]).await;
    let path = format!("/_dendrite/admin/purgeRoom/{}", enc(&room));
    // Empty body.
    let reply = app
        .call("POST", &path, Some(&admin.access_token), None)
        .await;
    assert_eq!(assert_ok(reply), json!({}));
    assert!(rows_left(&app, &room).await.is_empty());
    let reply = app
        .call("POST", &path, Some(&admin.access_token), None)
        .await;
    assert_error(&reply, 404, "M_NOT_FOUND", None);
    let statuses = assert_ok(
        app.get(
            &format!("/_synapse/admin/v2/rooms/{}/delete_status", enc(&room)),
            Some(&admin.access_token),
        )
        .await,
    );
    assert_eq!(statuses["results"][0]["status"], "complete");
});

e2e!(
    notices_after_a_purge_go_to_a_new_room,
    |app: TestApp| async move {
        let admin = app.register_user("noticeadmin", true).await;
        let target = app.register_user("noticetarget", false).await;
        let notice =
            json!({"user_id": target.user_id, "content": {"msgtype": "m.text", "body": "one"}});
        let send = || {
            app.post(
                "/_synapse/admin/v1/send_server_notice",
                Some(&admin.access_token),
                &notice,
            )
        };
        assert_ok(send().await);
        let notice_room = |app: &TestApp| {
            let app = app.clone();
            let user = target.user_id.clone();
            async move {
                let store = app.membership_store().await;
                let mut conn = store.conn().await.unwrap_or_else(|e| panic!("conn: {e}"));
                store::find_server_notice_room(&mut conn, &user)
                    .await
                    .unwrap_or_else(|e| panic!("notice room: {e}"))
            }
        };
        let first = notice_room(&app)
            .await
            .unwrap_or_else(|| panic!("no notice room"));
        assert_ok(delete(&app, &admin, &v1_path(&first), Some(&json!({}))).await);
        assert!(rows_left(&app, &first).await.is_empty());
        // The next notice finds its room gone and makes a new one.
        assert_ok(send().await);
        let second = notice_room(&app)
            .await
            .unwrap_or_else(|| panic!("no new notice room"));
        assert_ne!(first, second);
        assert_ok(send().await);
        assert_eq!(notice_room(&app).await, Some(second));
    }
);

e2e!(room_deletion_bad_input, |app: TestApp| async move {
    let admin = app.register_user("badadmin", true).await;
    let user = app.register_user("baduser", false).await;
    let room = busy_room(&app, &user, &[]).await;
    let token = Some(admin.access_token.as_str());
    // Not an admin.
    for path in [v1_path(&room), v2_path(&room)] {
        let reply = delete(&app, &user, &path, None).await;
        assert_error(
            &reply,
            403,
            "M_FORBIDDEN",
            Some("You are not a server admin"),
        );
    }
    // Malformed room IDs.
    for bad in ["not-a-room", "%40user%3Ahs", "%ZZ"] {
        for path in [v1_path(bad), v2_path(bad), block_path(bad)] {
            let reply = delete(&app, &admin, &path, None).await;
            let reply = if path.ends_with("/block") {
                app.get(&path, token).await
            } else {
                reply
            };
            assert_error(&reply, 400, "M_INVALID_PARAM", None);
        }
    }
    // Unknown rooms: 404 with Synapse's text, v1 and v2, raw and encoded.
    for unknown in ["!nosuchroom:bailiff.test", "%21nosuchroom%3Abailiff.test"] {
        for path in [v1_path(unknown), v2_path(unknown)] {
            let reply = delete(&app, &admin, &path, None).await;
            assert_error(
                &reply,
                404,
                "M_NOT_FOUND",
                Some("Unknown room id !nosuchroom:bailiff.test"),
            );
        }
    }
    // Bodies.
    for (name, value) in [
        ("block", json!("yes")),
        ("purge", json!(1)),
        ("force_purge", Value::Null),
    ] {
        let reply = delete(&app, &admin, &v2_path(&room), Some(&json!({ name: value }))).await;
        let text = format!("Param '{name}' must be a boolean, if given");
        assert_error(&reply, 400, "M_BAD_JSON", Some(&text));
    }
    let reply = delete(&app, &admin, &v2_path(&room), Some(&json!([]))).await;
    assert_error(&reply, 400, "M_BAD_JSON", None);
    let reply = delete(
        &app,
        &admin,
        &v2_path(&room),
        Some(&json!({"new_room_user_id": 5})),
    )
    .await;
    assert_error(&reply, 400, "M_BAD_JSON", None);
    let reply = delete(
        &app,
        &admin,
        &v2_path(&room),
        Some(&json!({"new_room_user_id": "nope"})),
    )
    .await;
    assert_error(&reply, 400, "M_INVALID_PARAM", None);
    let reply = delete(
        &app,
        &admin,
        &v2_path(&room),
        Some(&json!({"new_room_user_id": "@someone:elsewhere.example"})),
    )
    .await;
    assert_error(
        &reply,
        400,
        "M_INVALID_PARAM",
        Some("User must be our own: @someone:elsewhere.example"),
    );
    let request = app
        .request("DELETE", &v2_path(&room))
        .bearer_auth(&admin.access_token)
        .header("content-type", "application/json")
        .body("{not json");
    assert_error(&app.send(request).await, 400, "M_NOT_JSON", None);
    // Statuses.
    let reply = app.get(&status_path("nosuchjob"), token).await;
    assert_error(
        &reply,
        404,
        "M_NOT_FOUND",
        Some("delete id 'nosuchjob' not found"),
    );
    let reply = app
        .get(
            &format!("/_synapse/admin/v2/rooms/{}/delete_status", enc(&room)),
            token,
        )
        .await;
    assert_error(
        &reply,
        404,
        "M_NOT_FOUND",
        Some(&format!("No delete task for room_id '{room}' found")),
    );
    // Nothing above touched the room.
    assert!(!rows_left(&app, &room).await.is_empty());
});
