//! docs/http-api.md §4 "Server notices": `POST /_synapse/admin/v1/send_server_notice` and
//! `PUT …/send_server_notice/{txnId}` — check order, the notice room, re-invites, PUT
//! idempotency across replicas, and concurrent first notices.

use std::collections::BTreeSet;

use bailiff::{Role, Running};
use bailiff_config::Config;
use serde_json::{Value, json};

use crate::harness::*;

const NOTICE: &str = "/_synapse/admin/v1/send_server_notice";

/// The system user of the test deployments.
fn system_user() -> String {
    format!("@_server:{SERVER_NAME}")
}

fn message(body: &str) -> Value {
    json!({"msgtype": "m.text", "body": body})
}

/// Another replica of the notice path with its own caches and in-process locks.
/// Embedded: a second all-in-one process on the same SQLite file. Distributed: another
/// notices-svc and a gateway that uses it (accounts and membership shared).
pub struct Replica {
    pub base_url: String,
    running: Vec<Running>,
}

impl Replica {
    pub async fn stop(self) {
        for running in self.running.into_iter().rev() {
            let _ = running.stop().await;
        }
    }
}

pub async fn spawn_replica(app: &TestApp, customize: impl FnOnce(&mut Config)) -> Replica {
    let mut config = (*app.config).clone();
    customize(&mut config);
    let mut running = Vec::new();
    let http_addr = match app.mode {
        Mode::Embedded => {
            let all = bailiff::start(config, &[])
                .await
                .unwrap_or_else(|e| panic!("starting a second embedded process: {e:#}"));
            let addr = all.http_addr.unwrap_or_else(|| panic!("no HTTP listener"));
            running.push(all);
            addr
        }
        Mode::Distributed => {
            let notices = bailiff::start(config.clone(), &[Role::Notices])
                .await
                .unwrap_or_else(|e| panic!("starting a notices replica: {e:#}"));
            let addr = *notices
                .grpc_addrs
                .get(&Role::Notices)
                .unwrap_or_else(|| panic!("notices has no gRPC address"));
            config.notices.address = format!("http://{addr}");
            running.push(notices);
            let gateway = bailiff::start(config, &[Role::Gateway])
                .await
                .unwrap_or_else(|e| panic!("starting a gateway replica: {e:#}"));
            let addr = gateway
                .http_addr
                .unwrap_or_else(|| panic!("no HTTP listener"));
            running.push(gateway);
            addr
        }
    };
    Replica {
        base_url: format!("http://{http_addr}"),
        running,
    }
}

/// POST a notice through the gateway at `base`.
async fn post_at(app: &TestApp, base: &str, token: &str, body: &Value) -> Reply {
    app.send(
        app.client
            .post(format!("{base}{NOTICE}"))
            .bearer_auth(token)
            .json(body),
    )
    .await
}

async fn put_at(app: &TestApp, base: &str, token: &str, txn: &str, body: &Value) -> Reply {
    app.send(
        app.client
            .put(format!("{base}{NOTICE}/{txn}"))
            .bearer_auth(token)
            .json(body),
    )
    .await
}

async fn notice(app: &TestApp, token: &str, body: &Value) -> Reply {
    post_at(app, &app.base_url, token, body).await
}

async fn put_notice(app: &TestApp, token: &str, txn: &str, body: &Value) -> Reply {
    put_at(app, &app.base_url, token, txn, body).await
}

/// The event ID of a successful send; the body is exactly `{"event_id"}`.
#[track_caller]
fn event_id(reply: Reply) -> String {
    let body = assert_ok(reply);
    let id = body["event_id"].as_str().unwrap_or_default().to_owned();
    assert!(id.starts_with('$'), "{body}");
    assert_eq!(
        body.as_object().map(serde_json::Map::len),
        Some(1),
        "{body}"
    );
    id
}

async fn sync(app: &TestApp, user: &TestUser) -> Value {
    assert_ok(
        app.get(
            "/_matrix/client/v3/sync?full_state=true",
            Some(&user.access_token),
        )
        .await,
    )
}

/// The rooms the user is invited to, from /sync.
async fn invited_rooms(app: &TestApp, user: &TestUser) -> Vec<String> {
    let body = sync(app, user).await;
    body["rooms"]["invite"]
        .as_object()
        .map(|o| o.keys().cloned().collect())
        .unwrap_or_default()
}

async fn join(app: &TestApp, user: &TestUser, room: &str) {
    assert_ok(
        app.post(
            &format!("/_matrix/client/v3/rooms/{room}/join"),
            Some(&user.access_token),
            &json!({}),
        )
        .await,
    );
}

async fn leave(app: &TestApp, user: &TestUser, room: &str) -> Reply {
    app.post(
        &format!("/_matrix/client/v3/rooms/{room}/leave"),
        Some(&user.access_token),
        &json!({}),
    )
    .await
}

/// The room's m.room.message events, oldest first (the reader must be joined).
async fn notices_in(app: &TestApp, user: &TestUser, room: &str) -> Vec<Value> {
    let body = assert_ok(
        app.get(
            &format!("/_matrix/client/v3/rooms/{room}/messages?dir=f&limit=1000"),
            Some(&user.access_token),
        )
        .await,
    );
    body["chunk"]
        .as_array()
        .map(|chunk| {
            chunk
                .iter()
                .filter(|e| e["type"] == "m.room.message")
                .cloned()
                .collect()
        })
        .unwrap_or_default()
}

async fn state_event(app: &TestApp, user: &TestUser, room: &str, kind: &str, key: &str) -> Value {
    let body = assert_ok(
        app.get(
            &format!("/_matrix/client/v3/rooms/{room}/state"),
            Some(&user.access_token),
        )
        .await,
    );
    body.as_array()
        .and_then(|events| {
            events
                .iter()
                .find(|e| e["type"] == kind && e["state_key"] == key)
                .cloned()
        })
        .unwrap_or_else(|| panic!("no {kind}/{key} in {body}"))
}

e2e!(
    notice_auth_runs_before_the_body,
    |app: TestApp| async move {
        let user = app.register_user("plainuser", false).await;
        let target = app.register_user("authtarget", false).await;
        let valid = json!({"user_id": target.user_id, "content": message("hi")});
        for (method, path) in [("POST", NOTICE.to_owned()), ("PUT", format!("{NOTICE}/t1"))] {
            let reply = app.send(app.request(method, &path).json(&valid)).await;
            assert_error(&reply, 401, "M_MISSING_TOKEN", Some("Missing access token"));
            // Not an admin: 403 even for a body that is not JSON.
            let reply = app
                .send(
                    app.request(method, &path)
                        .bearer_auth(&user.access_token)
                        .header("content-type", "application/json")
                        .body("{not json"),
                )
                .await;
            assert_error(
                &reply,
                403,
                "M_FORBIDDEN",
                Some("You are not a server admin"),
            );
        }
        // Wrong methods.
        let reply = app.get(NOTICE, Some(&user.access_token)).await;
        assert_error(&reply, 405, "M_UNRECOGNIZED", None);
        let admin = app.register_user("authadmin", true).await;
        let reply = app
            .send(
                app.request("POST", NOTICE)
                    .bearer_auth(&admin.access_token)
                    .header("content-type", "application/json")
                    .body("{not json"),
            )
            .await;
        assert_error(&reply, 400, "M_NOT_JSON", None);
        let reply = notice(&app, &admin.access_token, &json!([1])).await;
        assert_error(&reply, 400, "M_BAD_JSON", None);
    }
);

e2e!(
    notice_checks_run_in_the_pinned_order,
    |app: TestApp| async move {
        let admin = app.register_user("orderadmin", true).await;
        let target = app.register_user("ordertarget", false).await;
        let token = admin.access_token.as_str();
        let cases: Vec<(Value, u16, &str, Option<&str>)> = vec![
            (json!({}), 400, "M_MISSING_PARAM", None),
            (
                json!({"user_id": target.user_id}),
                400,
                "M_MISSING_PARAM",
                None,
            ),
            (
                json!({"content": message("x")}),
                400,
                "M_MISSING_PARAM",
                None,
            ),
            // Malformed before remote, remote before unknown, unknown before content.
            (
                json!({"user_id": "not-a-user", "content": 5}),
                400,
                "M_INVALID_PARAM",
                None,
            ),
            (
                json!({"user_id": "@bad user:x", "content": 5}),
                400,
                "M_INVALID_PARAM",
                None,
            ),
            (
                json!({"user_id": 42, "content": 5}),
                400,
                "M_INVALID_PARAM",
                None,
            ),
            (
                json!({"user_id": "@someone:elsewhere.example", "content": 5}),
                400,
                "M_INVALID_PARAM",
                Some("Server notices can only be sent to local users"),
            ),
            (
                json!({"user_id": app.user_id("ghost"), "content": 5}),
                404,
                "M_NOT_FOUND",
                Some("User not found"),
            ),
            // The system user is not an account.
            (
                json!({"user_id": system_user(), "content": message("x")}),
                404,
                "M_NOT_FOUND",
                Some("User not found"),
            ),
            (
                json!({"user_id": target.user_id, "content": "text"}),
                400,
                "M_BAD_JSON",
                None,
            ),
            (
                json!({"user_id": target.user_id, "content": [1]}),
                400,
                "M_BAD_JSON",
                None,
            ),
            (
                json!({"user_id": target.user_id, "content": null}),
                400,
                "M_BAD_JSON",
                None,
            ),
            // m.room.message (the default) needs string body and msgtype.
            (
                json!({"user_id": target.user_id, "content": {"msgtype": "m.text"}}),
                400,
                "M_BAD_JSON",
                None,
            ),
            (
                json!({"user_id": target.user_id, "content": {"body": "x"}}),
                400,
                "M_BAD_JSON",
                None,
            ),
            (
                json!({"user_id": target.user_id, "content": {"body": 1, "msgtype": "m.text"}}),
                400,
                "M_BAD_JSON",
                None,
            ),
            (
                json!({"user_id": target.user_id, "type": "m.room.message", "content": {"body": "x", "msgtype": 7}}),
                400,
                "M_BAD_JSON",
                None,
            ),
            (
                json!({"user_id": target.user_id, "type": 5, "content": message("x")}),
                400,
                "M_BAD_JSON",
                None,
            ),
        ];
        for (body, status, errcode, text) in &cases {
            let reply = notice(&app, token, body).await;
            assert_error(&reply, *status, errcode, *text);
            let reply = put_notice(&app, token, "fresh-txn-for-errors", body).await;
            assert_error(&reply, *status, errcode, *text);
        }
        // Nothing above created a room.
        assert!(invited_rooms(&app, &target).await.is_empty());
        // Other types need no body; the notice is still a 200.
        event_id(
        notice(
            &app,
            token,
            &json!({"user_id": target.user_id, "type": "org.example.alert", "content": {"level": 3}}),
        )
        .await,
    );
        // Percent-encoded user IDs are not a thing in bodies, but a historical local ID is fine.
        assert_eq!(invited_rooms(&app, &target).await.len(), 1);
    }
);

e2e!(
    notices_disabled_in_config,
    config = |c: &mut Config| c.server_notices.enabled = false,
    |app: TestApp| async move {
        let admin = app.register_user("disadmin", true).await;
        let target = app.register_user("distarget", false).await;
        let token = admin.access_token.as_str();
        // Missing parameters come first; then the disabled check, before the user ID.
        assert_error(
            &notice(&app, token, &json!({"content": {}})).await,
            400,
            "M_MISSING_PARAM",
            None,
        );
        let text = Some("Server notices are not enabled on this server");
        for body in [
            json!({"user_id": "garbage", "content": "x"}),
            json!({"user_id": target.user_id, "content": message("x")}),
        ] {
            assert_error(&notice(&app, token, &body).await, 400, "M_UNKNOWN", text);
            assert_error(
                &put_notice(&app, token, "t", &body).await,
                400,
                "M_UNKNOWN",
                text,
            );
        }
    }
);

e2e!(
    notice_room_is_private_tagged_and_reused,
    |app: TestApp| async move {
        let admin = app.register_user("roomadmin", true).await;
        let target = app.register_user("roomtarget", false).await;
        let token = admin.access_token.as_str();
        let content = json!({
            "msgtype": "m.text",
            "body": "Maintenance tonight",
            "format": "org.matrix.custom.html",
            "formatted_body": "<b>Maintenance</b> tonight",
            "server_notice_type": "m.server_notice.usage_limit_reached",
            "nested": {"keep": [1, 2, {"x": null}]},
        });
        let first = event_id(
            notice(
                &app,
                token,
                &json!({"user_id": target.user_id, "content": content}),
            )
            .await,
        );

        // Invited (not joined) to exactly one room, by the system user.
        let body = sync(&app, &target).await;
        let invites = body["rooms"]["invite"]
            .as_object()
            .cloned()
            .unwrap_or_default();
        assert_eq!(invites.len(), 1, "{body}");
        assert!(
            body["rooms"]["join"]
                .as_object()
                .is_none_or(serde_json::Map::is_empty),
            "{body}"
        );
        let (room, invite) = invites.into_iter().next().unwrap_or_default();
        let stripped = invite["invite_state"]["events"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        let member = stripped
            .iter()
            .find(|e| e["type"] == "m.room.member" && e["state_key"] == target.user_id.as_str())
            .unwrap_or_else(|| panic!("no invite member event in {invite}"));
        assert_eq!(member["sender"], system_user());
        assert_eq!(member["content"]["membership"], "invite");

        // The tag is in the target's room account data.
        let tags = assert_ok(
            app.get(
                &format!(
                    "/_matrix/client/v3/user/{}/rooms/{room}/tags",
                    target.user_id
                ),
                Some(&target.access_token),
            )
            .await,
        );
        assert_eq!(tags, json!({"tags": {"m.server_notice": {"order": 1.0}}}));

        // Rejecting the invite is refused while invited.
        assert_error(
            &leave(&app, &target, &room).await,
            403,
            "M_CANNOT_LEAVE_SERVER_NOTICE_ROOM",
            Some("You cannot reject this invite"),
        );

        // A second notice lands in the same room.
        let second = event_id(
            notice(
                &app,
                token,
                &json!({"user_id": target.user_id, "content": message("second")}),
            )
            .await,
        );
        assert_ne!(first, second);
        assert_eq!(invited_rooms(&app, &target).await, vec![room.clone()]);

        join(&app, &target, &room).await;
        // The room's shape.
        let create = state_event(&app, &target, &room, "m.room.create", "").await;
        assert_eq!(create["content"]["m.federate"], false, "{create}");
        assert_eq!(create["sender"], system_user());
        let rules = state_event(&app, &target, &room, "m.room.join_rules", "").await;
        assert_eq!(rules["content"]["join_rule"], "invite");
        let name = state_event(&app, &target, &room, "m.room.name", "").await;
        assert_eq!(name["content"]["name"], "Server Alerts");
        let levels = state_event(&app, &target, &room, "m.room.power_levels", "").await;
        assert_eq!(levels["content"]["users"][system_user()], 100, "{levels}");
        assert_eq!(
            levels["content"]["users"][target.user_id.as_str()],
            -10,
            "{levels}"
        );
        let send_level = levels["content"]["events"]["m.room.message"]
            .as_i64()
            .or(levels["content"]["events_default"].as_i64())
            .unwrap_or(0);
        assert!(send_level > -10, "{levels}");
        let system_member =
            state_event(&app, &target, &room, "m.room.member", &system_user()).await;
        assert_eq!(system_member["content"]["membership"], "join");
        assert_eq!(system_member["content"]["displayname"], "Server Alerts");

        // The notices, whole.
        let events = notices_in(&app, &target, &room).await;
        assert_eq!(events.len(), 2, "{events:?}");
        assert_eq!(events[0]["event_id"], first.as_str());
        assert_eq!(events[0]["sender"], system_user());
        assert_eq!(events[0]["content"], content);
        assert_eq!(events[1]["event_id"], second.as_str());

        // The target cannot post.
        let reply = app
            .call(
                "PUT",
                &format!("/_matrix/client/v3/rooms/{room}/send/m.room.message/t1"),
                Some(&target.access_token),
                Some(&message("let me out")),
            )
            .await;
        assert_error(&reply, 403, "M_FORBIDDEN", None);

        // A state notice.
        event_id(
        notice(
            &app,
            token,
            &json!({"user_id": target.user_id, "type": "m.room.topic", "state_key": "", "content": {"topic": "Read me"}}),
        )
        .await,
    );
        let topic = state_event(&app, &target, &room, "m.room.topic", "").await;
        assert_eq!(topic["content"]["topic"], "Read me");
        assert_eq!(topic["sender"], system_user());

        // Joined, they may leave; the next notice re-invites them to the same room.
        assert_ok(leave(&app, &target, &room).await);
        assert!(invited_rooms(&app, &target).await.is_empty());
        let third = event_id(
            notice(
                &app,
                token,
                &json!({"user_id": target.user_id, "content": message("third")}),
            )
            .await,
        );
        assert_eq!(invited_rooms(&app, &target).await, vec![room.clone()]);
        assert_error(
            &leave(&app, &target, &room).await,
            403,
            "M_CANNOT_LEAVE_SERVER_NOTICE_ROOM",
            None,
        );
        join(&app, &target, &room).await;
        let events = notices_in(&app, &target, &room).await;
        assert_eq!(
            events.last().map(|e| e["event_id"].clone()),
            Some(json!(third))
        );

        // Another user gets their own room.
        let other = app.register_user("roomother", false).await;
        event_id(
            notice(
                &app,
                token,
                &json!({"user_id": other.user_id, "content": message("hi")}),
            )
            .await,
        );
        let other_rooms = invited_rooms(&app, &other).await;
        assert_eq!(other_rooms.len(), 1);
        assert_ne!(other_rooms[0], room);

        // The system user is not a login account.
        let reply = app.login(&system_user(), "anything").await;
        assert_error(&reply, 403, "M_FORBIDDEN", None);
    }
);

e2e!(put_returns_the_first_response, |app: TestApp| async move {
    let admin = app.register_user("txnadmin", true).await;
    let other_admin = app.register_user("txnadmin2", true).await;
    let target = app.register_user("txntarget", false).await;
    let bystander = app.register_user("txnbystander", false).await;
    let token = admin.access_token.as_str();
    let body = json!({"user_id": target.user_id, "content": message("once")});

    let first = event_id(put_notice(&app, token, "txn-1", &body).await);
    // The same txnId from the same device: the first response, whatever the body.
    assert_eq!(
        event_id(put_notice(&app, token, "txn-1", &body).await),
        first
    );
    let other_body = json!({"user_id": bystander.user_id, "content": message("other")});
    assert_eq!(
        event_id(put_notice(&app, token, "txn-1", &other_body).await),
        first
    );
    assert_eq!(
        event_id(put_notice(&app, token, "txn-1", &json!({})).await),
        first
    );
    let reply = app
        .send(
            app.request("PUT", &format!("{NOTICE}/txn-1"))
                .bearer_auth(token)
                .header("content-type", "application/json")
                .body("{not json"),
        )
        .await;
    assert_eq!(event_id(reply), first);
    // Percent-encoded txnId is the same txnId.
    assert_eq!(
        event_id(put_notice(&app, token, "txn%2D1", &body).await),
        first
    );
    // The bystander got nothing.
    assert!(invited_rooms(&app, &bystander).await.is_empty());

    // Another txnId, another device of the same admin, another admin: new events.
    let second = event_id(put_notice(&app, token, "txn-2", &body).await);
    let (status, login) = app.login(&admin.user_id, &admin.password).await;
    assert_eq!(status.as_u16(), 200, "{login}");
    let second_device = login["access_token"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let third = event_id(put_notice(&app, &second_device, "txn-1", &body).await);
    let fourth = event_id(put_notice(&app, &other_admin.access_token, "txn-1", &body).await);
    let ids: BTreeSet<&String> = [&first, &second, &third, &fourth].into_iter().collect();
    assert_eq!(ids.len(), 4);
    // POST is not idempotent.
    let fifth = event_id(notice(&app, token, &body).await);
    let sixth = event_id(notice(&app, token, &body).await);
    assert_ne!(fifth, sixth);

    // A failed first attempt stores nothing: the retry executes.
    let ghost = json!({"user_id": app.user_id("txnghost"), "content": message("x")});
    assert_error(
        &put_notice(&app, token, "txn-3", &ghost).await,
        404,
        "M_NOT_FOUND",
        Some("User not found"),
    );
    let retried = event_id(put_notice(&app, token, "txn-3", &body).await);

    // Concurrent duplicates: one event, one answer.
    let puts = (0..10).map(|i| {
        let app = app.clone();
        let token = admin.access_token.clone();
        let body = json!({"user_id": target.user_id, "content": message(&format!("dup {i}"))});
        async move { event_id(put_notice(&app, &token, "txn-dup", &body).await) }
    });
    let dup_ids: BTreeSet<String> = futures::future::join_all(puts).await.into_iter().collect();
    assert_eq!(dup_ids.len(), 1, "{dup_ids:?}");

    // Another replica (cold caches, another process) answers the same.
    let replica = spawn_replica(&app, |_| {}).await;
    assert_eq!(
        event_id(put_at(&app, &replica.base_url, token, "txn-1", &other_body).await),
        first
    );
    assert_eq!(
        event_id(put_at(&app, &replica.base_url, token, "txn-dup", &body).await),
        dup_ids.iter().next().cloned().unwrap_or_default()
    );
    replica.stop().await;

    // Exactly the expected events reached the room.
    let room = invited_rooms(&app, &target).await.pop().unwrap_or_default();
    join(&app, &target, &room).await;
    let events: Vec<String> = notices_in(&app, &target, &room)
        .await
        .iter()
        .map(|e| e["event_id"].as_str().unwrap_or_default().to_owned())
        .collect();
    let mut expected = vec![first, second, third, fourth, fifth, sixth, retried];
    expected.extend(dup_ids);
    assert_eq!(events, expected);
});

e2e!(
    concurrent_first_notices_make_one_room,
    |app: TestApp| async move {
        let admin = app.register_user("raceadmin", true).await;
        let target = app.register_user("racetarget", false).await;
        // Half the requests go through another replica (another process / notices-svc).
        let replica = spawn_replica(&app, |_| {}).await;
        let bases = [app.base_url.clone(), replica.base_url.clone()];
        let sends = (0..50).map(|i| {
            let (app, base) = (app.clone(), bases[i % 2].clone());
            let token = admin.access_token.clone();
            let body = json!({"user_id": target.user_id, "content": message(&format!("n{i}"))});
            async move { event_id(post_at(&app, &base, &token, &body).await) }
        });
        let ids: BTreeSet<String> = futures::future::join_all(sends).await.into_iter().collect();
        assert_eq!(ids.len(), 50);
        replica.stop().await;
        let rooms = invited_rooms(&app, &target).await;
        assert_eq!(rooms.len(), 1, "{rooms:?}");
        join(&app, &target, &rooms[0]).await;
        let events = notices_in(&app, &target, &rooms[0]).await;
        assert_eq!(events.len(), 50);
        let seen: BTreeSet<String> = events
            .iter()
            .map(|e| e["event_id"].as_str().unwrap_or_default().to_owned())
            .collect();
        assert_eq!(seen, ids);
        let joined = assert_ok(
            app.get(
                "/_matrix/client/v3/joined_rooms",
                Some(&target.access_token),
            )
            .await,
        );
        assert_eq!(joined["joined_rooms"], json!(rooms));
    }
);

e2e!(
    system_display_name_follows_the_configuration,
    |app: TestApp| async move {
        let admin = app.register_user("nameadmin", true).await;
        let target = app.register_user("nametarget", false).await;
        let body = json!({"user_id": target.user_id, "content": message("one")});
        event_id(notice(&app, &admin.access_token, &body).await);
        let room = invited_rooms(&app, &target).await.pop().unwrap_or_default();
        join(&app, &target, &room).await;
        let member = state_event(&app, &target, &room, "m.room.member", &system_user()).await;
        assert_eq!(member["content"]["displayname"], "Server Alerts");
        // A replica started with another display name (a configuration change): its next
        // notice updates the system user's member event.
        let renamed =
            spawn_replica(&app, |c| c.server_notices.display_name = "Ops Team".into()).await;
        event_id(post_at(&app, &renamed.base_url, &admin.access_token, &body).await);
        renamed.stop().await;
        let member = state_event(&app, &target, &room, "m.room.member", &system_user()).await;
        assert_eq!(member["content"]["displayname"], "Ops Team");
        assert_eq!(member["content"]["membership"], "join");
    }
);

e2e!(
    a_user_refused_as_unknown_gets_notices_once_registered,
    |app: TestApp| async move {
        let admin = app.register_user("lateadmin", true).await;
        let body = json!({"user_id": app.user_id("latecomer"), "content": message("hi")});
        assert_error(
            &notice(&app, &admin.access_token, &body).await,
            404,
            "M_NOT_FOUND",
            Some("User not found"),
        );
        // The refusal is not remembered: registration makes the user a target at once.
        app.register_user("latecomer", false).await;
        let first = event_id(notice(&app, &admin.access_token, &body).await);
        let second = event_id(notice(&app, &admin.access_token, &body).await);
        assert_ne!(first, second);
    }
);
