//! docs/http-api.md §3 evacuateRoom / evacuateUser and §6 jobs: every row, GET and POST, the
//! synchronous and the `?async=true` forms, the leave content rules, de-duplication of a
//! running job, and a member seeing their own leave in `/sync`.
//!
//! Rooms and invites are made over HTTP; what HTTP cannot make (a joined remote user, a
//! room of thousands) is seeded straight through membership-svc's store, and the
//! resulting member events are read back the same way to pin their exact content.

use std::time::Duration;

use membership_svc::store::{self, Dir, MemberChange};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::harness::*;
use crate::rooms::{create_room, enc, v3};

const REMOTE: &str = "@remote:elsewhere.example";

fn evacuate_room_path(room: &str) -> String {
    format!("/_dendrite/admin/evacuateRoom/{room}")
}

fn evacuate_user_path(user: &str) -> String {
    format!("/_dendrite/admin/evacuateUser/{user}")
}

fn job_path(job_id: &str) -> String {
    format!("/_dendrite/admin/jobs/{job_id}")
}

/// Appends one member event per user, as the user, straight through the store.
async fn seed_members(
    app: &TestApp,
    room: &str,
    users: &[String],
    membership: bailiff_domain::Membership,
) {
    let store = app.membership_store().await;
    let mut tx = store
        .begin_write()
        .await
        .unwrap_or_else(|e| panic!("begin: {e}"));
    let changes: Vec<MemberChange> = users
        .iter()
        .map(|user| MemberChange::by_self(user, membership, "{}"))
        .collect();
    store::append_member_events(&mut tx, room, &changes, bailiff_domain::now_ms())
        .await
        .unwrap_or_else(|e| panic!("seeding members: {e}"));
    tx.commit().await.unwrap_or_else(|e| panic!("commit: {e}"));
}

/// (sender, content) of every member event of `user` in `room`, oldest first.
async fn member_events(app: &TestApp, room: &str, user: &str) -> Vec<(String, Value)> {
    let store = app.membership_store().await;
    let mut conn = store.conn().await.unwrap_or_else(|e| panic!("conn: {e}"));
    store::events_between(&mut conn, room, 0, i64::MAX, 1_000_000, Dir::Forward)
        .await
        .unwrap_or_else(|e| panic!("events: {e}"))
        .into_iter()
        .filter(|e| e.event_type == "m.room.member" && e.state_key.as_deref() == Some(user))
        .map(|e| {
            let content = serde_json::from_str(&e.content).unwrap_or(Value::Null);
            (e.sender, content)
        })
        .collect()
}

/// Current membership of `user` in `room` ("" when none).
async fn membership(app: &TestApp, room: &str, user: &str) -> String {
    let store = app.membership_store().await;
    let mut conn = store.conn().await.unwrap_or_else(|e| panic!("conn: {e}"));
    store::membership_of(&mut conn, room, user)
        .await
        .unwrap_or_else(|e| panic!("membership: {e}"))
        .map(|m| m.membership.as_str().to_owned())
        .unwrap_or_default()
}

/// Asserts the user's last member event is a self-leave with `content`, and that it is
/// their only leave.
async fn assert_left_once(app: &TestApp, room: &str, user: &str, content: &Value) {
    let events = member_events(app, room, user).await;
    let leaves: Vec<&(String, Value)> = events
        .iter()
        .filter(|(_, c)| c["membership"] == "leave")
        .collect();
    assert_eq!(leaves.len(), 1, "{user} in {room}: {events:?}");
    assert_eq!(
        events.last(),
        Some(&(user.to_owned(), content.clone())),
        "{user} in {room}"
    );
}

async fn join(app: &TestApp, user: &TestUser, room: &str) {
    assert_ok(
        app.post(
            &v3(&format!("/join/{}", enc(room))),
            Some(&user.access_token),
            &json!({}),
        )
        .await,
    );
}

fn strings(value: &Value) -> Vec<String> {
    value
        .as_array()
        .unwrap_or_else(|| panic!("not an array: {value}"))
        .iter()
        .map(|v| {
            v.as_str()
                .unwrap_or_else(|| panic!("not a string: {v}"))
                .to_owned()
        })
        .collect()
}

/// Polls the job until it is finished; returns its JSON.
async fn finished_job(app: &TestApp, admin: &TestUser, job_id: &str) -> Value {
    for _ in 0..600 {
        let job = assert_ok(app.get(&job_path(job_id), Some(&admin.access_token)).await);
        if job["status"] == "complete" || job["status"] == "failed" {
            return job;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("job {job_id} did not finish");
}

e2e!(
    evacuate_room_auth_and_bad_input,
    |app: TestApp| async move {
        let admin = app.register_user("admin", true).await;
        let user = app.register_user("someone", false).await;
        let room = create_room(&app, &user, json!({})).await;
        for method in ["GET", "POST"] {
            let path = evacuate_room_path(&enc(&room));
            let reply = app.call(method, &path, None, None).await;
            assert_error(&reply, 401, "M_MISSING_TOKEN", Some("Missing access token"));
            // Not an admin: refused before the path is looked at.
            let reply = app
                .call(method, &path, Some(&user.access_token), None)
                .await;
            assert_error(
                &reply,
                403,
                "M_FORBIDDEN",
                Some("You are not a server admin"),
            );
            let reply = app
                .call(
                    method,
                    &evacuate_room_path("%ZZ"),
                    Some(&user.access_token),
                    None,
                )
                .await;
            assert_error(
                &reply,
                403,
                "M_FORBIDDEN",
                Some("You are not a server admin"),
            );
            // Malformed room IDs.
            for bad in ["not-a-room", "%40user%3Ahs", "%21nocolon", "%ZZ"] {
                let reply = app
                    .call(
                        method,
                        &evacuate_room_path(bad),
                        Some(&admin.access_token),
                        None,
                    )
                    .await;
                assert_error(&reply, 400, "M_INVALID_PARAM", None);
            }
            // Unknown room, raw and percent-encoded.
            for unknown in ["!nosuchroom:bailiff.test", "%21nosuchroom%3Abailiff.test"] {
                let reply = app
                    .call(
                        method,
                        &evacuate_room_path(unknown),
                        Some(&admin.access_token),
                        None,
                    )
                    .await;
                assert_error(&reply, 404, "M_NOT_FOUND", Some("room does not exist"));
            }
        }
        // POST bodies: empty or an object; not JSON or not an object is refused.
        let path = evacuate_room_path(&enc(&room));
        let raw = |body: &'static str| {
            app.request("POST", &path)
                .bearer_auth(&admin.access_token)
                .header("Content-Type", "application/json")
                .body(body)
        };
        assert_error(&app.send(raw("{not json")).await, 400, "M_NOT_JSON", None);
        assert_error(&app.send(raw("[1]")).await, 400, "M_BAD_JSON", None);
        // A bad `async` value.
        let reply = app
            .get(&format!("{path}?async=maybe"), Some(&admin.access_token))
            .await;
        assert_error(&reply, 400, "M_INVALID_PARAM", None);
        // A body sent with GET is ignored.
        let reply = app
            .send(
                app.request("GET", &path)
                    .bearer_auth(&admin.access_token)
                    .body("{not json"),
            )
            .await;
        assert_eq!(assert_ok(reply)["affected"], json!([user.user_id]));
    }
);

e2e!(
    evacuate_room_leaves_local_joined_members_in_join_order,
    |app: TestApp| async move {
        let admin = app.register_user("admin", true).await;
        let alice = app.register_user("alice", false).await;
        let bob = app.register_user("bob", false).await;
        let carol = app.register_user("carol", false).await;
        let dave = app.register_user("dave", false).await;
        let erin = app.register_user("erin", false).await;
        let room = create_room(&app, &alice, json!({"preset": "public_chat"})).await;
        join(&app, &carol, &room).await;
        seed_members(
            &app,
            &room,
            &[REMOTE.to_owned()],
            bailiff_domain::Membership::Join,
        )
        .await;
        join(&app, &bob, &room).await;
        join(&app, &erin, &room).await;
        assert_ok(
            app.post(
                &v3(&format!("/rooms/{}/leave", enc(&room))),
                Some(&erin.access_token),
                &json!({}),
            )
            .await,
        );
        assert_ok(
            app.post(
                &v3(&format!("/rooms/{}/invite", enc(&room))),
                Some(&alice.access_token),
                &json!({"user_id": dave.user_id}),
            )
            .await,
        );
        let prior: Vec<(String, Value)> = {
            let mut prior = Vec::new();
            for user in [&alice, &carol, &bob] {
                let events = member_events(&app, &room, &user.user_id).await;
                prior.push((
                    user.user_id.clone(),
                    events.last().map(|(_, c)| c.clone()).unwrap_or_default(),
                ));
            }
            prior
        };
        let erin_before = member_events(&app, &room, &erin.user_id).await;
        let dave_before = member_events(&app, &room, &dave.user_id).await;

        // POST, percent-encoded room ID, empty body: waits for the job.
        let reply = app
            .send(
                app.request("POST", &evacuate_room_path(&enc(&room)))
                    .bearer_auth(&admin.access_token),
            )
            .await;
        let body = assert_ok(reply);
        assert_eq!(
            body,
            json!({"affected": [alice.user_id, carol.user_id, bob.user_id]})
        );

        // Each local joined member left once, by themselves, prior content kept.
        for (user, content) in &prior {
            let mut expected = content.clone();
            expected["membership"] = "leave".into();
            assert_left_once(&app, &room, user, &expected).await;
            assert_eq!(membership(&app, &room, user).await, "leave");
        }
        // Invited, already-left and remote members are untouched.
        assert_eq!(member_events(&app, &room, &erin.user_id).await, erin_before);
        assert_eq!(member_events(&app, &room, &dave.user_id).await, dave_before);
        assert_eq!(membership(&app, &room, &dave.user_id).await, "invite");
        assert_eq!(member_events(&app, &room, REMOTE).await.len(), 1);
        assert_eq!(membership(&app, &room, REMOTE).await, "join");
        // Alice no longer lists the room.
        let joined = assert_ok(
            app.get(&v3("/joined_rooms"), Some(&alice.access_token))
                .await,
        );
        assert_eq!(joined["joined_rooms"], json!([]));

        // Nobody local is left: GET with the raw room ID answers an empty list, not null.
        let body = assert_ok(
            app.get(&evacuate_room_path(&room), Some(&admin.access_token))
                .await,
        );
        assert_eq!(body, json!({"affected": []}));
    }
);

e2e!(
    evacuate_room_async_job_and_deduplication,
    |app: TestApp| async move {
        let admin = app.register_user("admin", true).await;
        let owner = app.register_user("owner", false).await;
        let room = create_room(&app, &owner, json!({})).await;
        let members: Vec<String> = (0..2000)
            .map(|i| app.user_id(&format!("member{i:04}")))
            .collect();
        seed_members(&app, &room, &members, bailiff_domain::Membership::Join).await;
        let mut expected = vec![owner.user_id.clone()];
        expected.extend(members.iter().cloned());

        let started = bailiff_domain::now_ms();
        let path = format!("{}?async=true", evacuate_room_path(&enc(&room)));
        let (status, first) = app.post(&path, Some(&admin.access_token), &json!({})).await;
        assert_eq!(status, StatusCode::ACCEPTED, "{first}");
        let job_id = first["job_id"]
            .as_str()
            .unwrap_or_else(|| panic!("no job_id in {first}"))
            .to_owned();
        assert_eq!(strings(&first["affected"]), expected);
        assert_eq!(
            first.as_object().map(serde_json::Map::len),
            Some(2),
            "{first}"
        );

        // A second evacuation while the job runs returns the same job (GET, async) …
        let (status, second) = app.get(&path, Some(&admin.access_token)).await;
        assert_eq!(status, StatusCode::ACCEPTED, "{second}");
        assert_eq!(
            second["job_id"],
            job_id.as_str(),
            "a second job was started: {second}"
        );
        assert_eq!(strings(&second["affected"]), expected);
        // … and a synchronous one waits for that job and reports its affected set.
        let body = assert_ok(
            app.post(
                &evacuate_room_path(&room),
                Some(&admin.access_token),
                &json!({}),
            )
            .await,
        );
        assert_eq!(strings(&body["affected"]), expected);

        let job = finished_job(&app, &admin, &job_id).await;
        let total = i64::try_from(expected.len()).expect("count fits");
        assert_eq!(job["job_id"], job_id.as_str());
        assert_eq!(job["kind"], "room");
        assert_eq!(job["target"], room.as_str());
        assert_eq!(job["status"], "complete");
        assert_eq!(
            (
                job["total"].as_i64(),
                job["done"].as_i64(),
                job["failed"].as_i64()
            ),
            (Some(total), Some(total), Some(0))
        );
        assert_eq!(strings(&job["affected"]), expected);
        let created = job["created_ts"]
            .as_i64()
            .unwrap_or_else(|| panic!("created_ts: {job}"));
        let finished = job["finished_ts"]
            .as_i64()
            .unwrap_or_else(|| panic!("finished_ts: {job}"));
        assert!(started <= created && created <= finished, "{job}");
        let mut keys: Vec<&String> = job
            .as_object()
            .map(|o| o.keys().collect())
            .unwrap_or_default();
        keys.sort();
        assert_eq!(
            keys,
            [
                "affected",
                "created_ts",
                "done",
                "failed",
                "finished_ts",
                "job_id",
                "kind",
                "status",
                "target",
                "total"
            ]
        );
        // Exactly one leave per member.
        for user in [&members[0], &members[999], &members[1999]] {
            assert_left_once(&app, &room, user, &json!({"membership": "leave"})).await;
        }

        // The job is visible to admins only; unknown jobs are 404.
        let reply = app.get(&job_path(&job_id), Some(&owner.access_token)).await;
        assert_error(
            &reply,
            403,
            "M_FORBIDDEN",
            Some("You are not a server admin"),
        );
        assert_error(
            &app.get(&job_path(&job_id), None).await,
            401,
            "M_MISSING_TOKEN",
            None,
        );
        let reply = app
            .get(&job_path("no-such-job"), Some(&admin.access_token))
            .await;
        assert_error(&reply, 404, "M_NOT_FOUND", None);
        // Known path, wrong method.
        let reply = app
            .post(&job_path(&job_id), Some(&admin.access_token), &json!({}))
            .await;
        assert_error(&reply, 405, "M_UNRECOGNIZED", Some("Unrecognized request"));

        // Once finished, evacuating again is a new (empty) job.
        let (status, again) = app.post(&path, Some(&admin.access_token), &json!({})).await;
        assert_eq!(status, StatusCode::ACCEPTED, "{again}");
        assert_ne!(again["job_id"], job_id.as_str());
        assert_eq!(again["affected"], json!([]));
        let job = finished_job(&app, &admin, again["job_id"].as_str().unwrap_or_default()).await;
        assert_eq!(
            (job["status"].as_str(), job["total"].as_i64()),
            (Some("complete"), Some(0))
        );
    }
);

e2e!(
    evacuate_user_auth_and_bad_input,
    |app: TestApp| async move {
        let admin = app.register_user("admin", true).await;
        let user = app.register_user("someone", false).await;
        for method in ["GET", "POST"] {
            let path = evacuate_user_path(&enc(&user.user_id));
            assert_error(
                &app.call(method, &path, None, None).await,
                401,
                "M_MISSING_TOKEN",
                None,
            );
            let reply = app
                .call(method, &path, Some(&user.access_token), None)
                .await;
            assert_error(
                &reply,
                403,
                "M_FORBIDDEN",
                Some("You are not a server admin"),
            );
            for bad in ["someone", "%40nocolon", "%ZZ", "%21room%3Abailiff.test"] {
                let reply = app
                    .call(
                        method,
                        &evacuate_user_path(bad),
                        Some(&admin.access_token),
                        None,
                    )
                    .await;
                assert_error(&reply, 400, "M_INVALID_PARAM", None);
            }
            for remote in [
                "@someone:elsewhere.example",
                "%40someone%3Aelsewhere.example",
            ] {
                let reply = app
                    .call(
                        method,
                        &evacuate_user_path(remote),
                        Some(&admin.access_token),
                        None,
                    )
                    .await;
                assert_error(
                    &reply,
                    400,
                    "M_INVALID_PARAM",
                    Some("can only evacuate local users"),
                );
            }
            // An unknown local user: nothing to do.
            let reply = app
                .call(
                    method,
                    &evacuate_user_path("%40nobody%3Abailiff.test"),
                    Some(&admin.access_token),
                    None,
                )
                .await;
            assert_eq!(assert_ok(reply), json!({"affected": []}));
            // A user in no room.
            assert_eq!(
                assert_ok(
                    app.call(method, &path, Some(&admin.access_token), None)
                        .await
                ),
                json!({"affected": []})
            );
        }
        let path = evacuate_user_path(&enc(&user.user_id));
        let reply = app
            .send(
                app.request("POST", &path)
                    .bearer_auth(&admin.access_token)
                    .header("Content-Type", "application/json")
                    .body("nope"),
            )
            .await;
        assert_error(&reply, 400, "M_NOT_JSON", None);
        // `?async=true` for an unknown user: a job ID and nothing affected.
        let (status, body) = app
            .get(
                &format!("{}?async=true", evacuate_user_path("@ghost:bailiff.test")),
                Some(&admin.access_token),
            )
            .await;
        assert_eq!(status, StatusCode::ACCEPTED, "{body}");
        assert_eq!(body["affected"], json!([]));
        let job = finished_job(&app, &admin, body["job_id"].as_str().unwrap_or_default()).await;
        assert_eq!(job["kind"], "user");
        assert_eq!(job["target"], "@ghost:bailiff.test");
        assert_eq!(
            (job["status"].as_str(), job["total"].as_i64()),
            (Some("complete"), Some(0))
        );
    }
);

e2e!(
    evacuate_user_leaves_joined_rooms_then_rejects_invites,
    |app: TestApp| async move {
        let admin = app.register_user("admin", true).await;
        let owner = app.register_user("owner", false).await;
        let target = app.register_user("target", false).await;
        let first = create_room(&app, &owner, json!({"preset": "public_chat"})).await;
        let second = create_room(&app, &owner, json!({"preset": "public_chat"})).await;
        let invited = create_room(&app, &owner, json!({"invite": [target.user_id]})).await;
        let left = create_room(&app, &owner, json!({"preset": "public_chat"})).await;
        // Joined in the order second, first; left one room.
        join(&app, &target, &second).await;
        join(&app, &target, &first).await;
        join(&app, &target, &left).await;
        assert_ok(
            app.post(
                &v3(&format!("/rooms/{}/leave", enc(&left))),
                Some(&target.access_token),
                &json!({}),
            )
            .await,
        );
        // A server notice invites the target to their notice room, which they cannot reject.
        let notice = assert_ok(
        app.post(
            "/_synapse/admin/v1/send_server_notice",
            Some(&admin.access_token),
            &json!({"user_id": target.user_id, "content": {"msgtype": "m.text", "body": "hello"}}),
        )
        .await,
    );
        assert!(notice["event_id"].is_string(), "{notice}");
        let sync = assert_ok(app.get(&v3("/sync"), Some(&target.access_token)).await);
        let invites: Vec<String> = sync["rooms"]["invite"]
            .as_object()
            .map(|o| o.keys().cloned().collect())
            .unwrap_or_default();
        let notice_room = invites
            .iter()
            .find(|room| **room != invited)
            .unwrap_or_else(|| panic!("no notice room invite in {sync}"))
            .clone();
        let reply = app
            .post(
                &v3(&format!("/rooms/{}/leave", enc(&notice_room))),
                Some(&target.access_token),
                &json!({}),
            )
            .await;
        assert_error(&reply, 403, "M_CANNOT_LEAVE_SERVER_NOTICE_ROOM", None);
        let left_before = member_events(&app, &left, &target.user_id).await;

        let body = assert_ok(
            app.get(
                &evacuate_user_path(&target.user_id),
                Some(&admin.access_token),
            )
            .await,
        );
        assert_eq!(
            body,
            json!({"affected": [second, first, invited, notice_room]})
        );
        for room in [&first, &second, &invited, &notice_room] {
            assert_left_once(&app, room, &target.user_id, &json!({"membership": "leave"})).await;
            assert_eq!(membership(&app, room, &target.user_id).await, "leave");
        }
        assert_eq!(
            member_events(&app, &left, &target.user_id).await,
            left_before
        );
        // The owner is untouched.
        assert_eq!(membership(&app, &first, &owner.user_id).await, "join");
        let joined = assert_ok(
            app.get(&v3("/joined_rooms"), Some(&target.access_token))
                .await,
        );
        assert_eq!(joined["joined_rooms"], json!([]));

        // Again, asynchronously: nothing left to do, the job says so.
        let (status, body) = app
            .post(
                &format!("{}?async=true", evacuate_user_path(&enc(&target.user_id))),
                Some(&admin.access_token),
                &json!({}),
            )
            .await;
        assert_eq!(status, StatusCode::ACCEPTED, "{body}");
        assert_eq!(body["affected"], json!([]));
    }
);

e2e!(
    evacuate_user_async_reports_the_job,
    |app: TestApp| async move {
        let admin = app.register_user("admin", true).await;
        let owner = app.register_user("owner", false).await;
        let target = app.register_user("target", false).await;
        let mut rooms = Vec::new();
        for _ in 0..3 {
            let room = create_room(&app, &owner, json!({"preset": "public_chat"})).await;
            join(&app, &target, &room).await;
            rooms.push(room);
        }
        let (status, body) = app
            .post(
                &format!("{}?async=true", evacuate_user_path(&target.user_id)),
                Some(&admin.access_token),
                &json!({}),
            )
            .await;
        assert_eq!(status, StatusCode::ACCEPTED, "{body}");
        assert_eq!(strings(&body["affected"]), rooms);
        let job_id = body["job_id"].as_str().unwrap_or_default().to_owned();
        let job = finished_job(&app, &admin, &job_id).await;
        assert_eq!(job["kind"], "user");
        assert_eq!(job["target"], target.user_id.as_str());
        assert_eq!(job["status"], "complete");
        assert_eq!(
            (
                job["total"].as_i64(),
                job["done"].as_i64(),
                job["failed"].as_i64()
            ),
            (Some(3), Some(3), Some(0))
        );
        assert_eq!(strings(&job["affected"]), rooms);
        for room in &rooms {
            assert_left_once(&app, room, &target.user_id, &json!({"membership": "leave"})).await;
        }
    }
);

e2e!(
    a_member_sees_their_leave_in_sync_after_evacuate_room,
    |app: TestApp| async move {
        let admin = app.register_user("admin", true).await;
        let alice = app.register_user("alice", false).await;
        let bob = app.register_user("bob", false).await;
        let room = create_room(&app, &alice, json!({"preset": "public_chat"})).await;
        join(&app, &bob, &room).await;
        let initial = assert_ok(app.get(&v3("/sync"), Some(&bob.access_token)).await);
        assert!(initial["rooms"]["join"][&room].is_object(), "{initial}");
        let since = initial["next_batch"]
            .as_str()
            .unwrap_or_default()
            .to_owned();

        // Bob is long-polling when the evacuation happens.
        let waiting = {
            let app = app.clone();
            let token = bob.access_token.clone();
            tokio::spawn(async move {
                app.get(
                    &v3(&format!("/sync?since={since}&timeout=10000")),
                    Some(&token),
                )
                .await
            })
        };
        tokio::time::sleep(Duration::from_millis(200)).await;
        let body = assert_ok(
            app.post(
                &evacuate_room_path(&room),
                Some(&admin.access_token),
                &json!({}),
            )
            .await,
        );
        assert_eq!(body, json!({"affected": [alice.user_id, bob.user_id]}));

        let synced = assert_ok(waiting.await.unwrap_or_else(|e| panic!("sync task: {e}")));
        let events = synced["rooms"]["leave"][&room]["timeline"]["events"]
            .as_array()
            .cloned()
            .unwrap_or_else(|| panic!("no leave for the room in {synced}"));
        let own_leave = events
            .iter()
            .find(|e| e["type"] == "m.room.member" && e["state_key"] == bob.user_id.as_str())
            .unwrap_or_else(|| panic!("bob's leave is not in {synced}"));
        assert_eq!(own_leave["sender"], bob.user_id.as_str());
        assert_eq!(own_leave["content"]["membership"], "leave");
        assert!(synced["rooms"]["join"].get(&room).is_none(), "{synced}");
    }
);
