//! End-to-end tests of Synapse rooms administration (`docs/http-api.md` §7, "Rooms") and
//! of the room directory (§8): every `order_by` both ways, search, filters, paging
//! fields, details, members, state, a user's rooms and counts, `publicRooms`, directory
//! visibility, counters after an evacuation, and Synapse's answers to bad input.

use std::cmp::Ordering;

use serde_json::{Value, json};

use crate::harness::*;
use crate::rooms::{create_room, enc, v3};

const ROOMS: &str = "/_synapse/admin/v1/rooms";

/// Every `order_by` with the field it sorts and whether it starts from the biggest.
const ORDERS: &[(&str, &str, bool)] = &[
    ("alphabetical", "name", false),
    ("size", "joined_members", true),
    ("name", "name", false),
    ("canonical_alias", "canonical_alias", false),
    ("joined_members", "joined_members", true),
    ("joined_local_members", "joined_local_members", true),
    ("version", "version", true),
    ("creator", "creator", false),
    ("encryption", "encryption", false),
    ("federatable", "federatable", false),
    ("public", "public", false),
    ("join_rules", "join_rules", false),
    ("guest_access", "guest_access", false),
    ("history_visibility", "history_visibility", false),
    ("state_events", "state_events", true),
];

/// Ascending order of two field values; `null` (no such state) after any value.
fn compare(a: &Value, b: &Value) -> Ordering {
    match (a, b) {
        (Value::Null, Value::Null) => Ordering::Equal,
        (Value::Null, _) => Ordering::Greater,
        (_, Value::Null) => Ordering::Less,
        (Value::Number(a), Value::Number(b)) => a.as_i64().cmp(&b.as_i64()),
        (Value::Bool(a), Value::Bool(b)) => a.cmp(b),
        (Value::String(a), Value::String(b)) => a.cmp(b),
        _ => panic!("incomparable {a} and {b}"),
    }
}

fn room_ids(list: &Value) -> Vec<String> {
    list["rooms"]
        .as_array()
        .unwrap_or_else(|| panic!("no rooms in {list}"))
        .iter()
        .map(|room| room["room_id"].as_str().unwrap_or_default().to_owned())
        .collect()
}

async fn list(app: &TestApp, admin: &TestUser, query: &str) -> Value {
    assert_ok(
        app.get(&format!("{ROOMS}?{query}"), Some(&admin.access_token))
            .await,
    )
}

async fn join(app: &TestApp, user: &TestUser, room: &str) {
    assert_ok(
        app.post(
            &v3(&format!("/rooms/{}/join", enc(room))),
            Some(&user.access_token),
            &json!({}),
        )
        .await,
    );
}

/// Three rooms: `big` (public, named, encrypted, three members), `small` (named "beta"),
/// `bare` (no name, its creator left).
async fn three_rooms(app: &TestApp) -> ([TestUser; 3], [String; 3]) {
    let admin = app.register_user("admin", true).await;
    let alice = app.register_user("alice", false).await;
    let bob = app.register_user("bob", false).await;
    let big = create_room(
        app,
        &alice,
        json!({"name": "Alpha", "preset": "public_chat", "visibility": "public",
               "initial_state": [{"type": "m.room.encryption", "state_key": "",
                                  "content": {"algorithm": "m.megolm.v1.aes-sha2"}}]}),
    )
    .await;
    join(app, &bob, &big).await;
    join(app, &admin, &big).await;
    let small = create_room(app, &bob, json!({"name": "beta"})).await;
    let bare = create_room(app, &bob, json!({})).await;
    assert_ok(
        app.post(
            &v3(&format!("/rooms/{}/leave", enc(&bare))),
            Some(&bob.access_token),
            &json!({}),
        )
        .await,
    );
    ([admin, alice, bob], [big, small, bare])
}

e2e!(lists_rooms_in_every_order, |app: TestApp| async move {
    let ([admin, alice, _], [big, small, bare]) = three_rooms(&app).await;
    let all = list(&app, &admin, "").await;
    assert_eq!(all["total_rooms"], 3);
    assert_eq!(all["offset"], 0);
    assert!(all.get("next_batch").is_none() && all.get("prev_batch").is_none());
    // Default order: by name, unnamed last.
    assert_eq!(room_ids(&all), [big.clone(), small.clone(), bare.clone()]);
    let row = &all["rooms"][0];
    assert_eq!(row["joined_members"], 3);
    assert_eq!(row["joined_local_members"], 3);
    assert_eq!(row["public"], true);
    assert_eq!(row["encryption"], "m.megolm.v1.aes-sha2");
    assert_eq!(row["creator"], app.user_id("alice"));
    assert!(row["version"].is_string() && row["federatable"] == true);
    assert_eq!(row["join_rules"], "public");
    assert!(row["room_type"].is_null() && row.get("topic").is_none());
    let bare_row = &all["rooms"][2];
    assert_eq!(
        (
            bare_row["joined_members"].as_i64(),
            bare_row["name"].is_null()
        ),
        (Some(0), true)
    );

    for (order_by, field, descending) in ORDERS {
        for dir in ["f", "b"] {
            let page = list(&app, &admin, &format!("order_by={order_by}&dir={dir}")).await;
            let rows = page["rooms"].as_array().cloned().unwrap_or_default();
            let mut expected = rows.clone();
            expected.sort_by(|a, b| {
                compare(&a[*field], &b[*field]).then_with(|| compare(&a["room_id"], &b["room_id"]))
            });
            if *descending != (dir == "b") {
                expected.reverse();
            }
            assert_eq!(rows, expected, "order_by={order_by}&dir={dir}");
            assert_eq!(rows.len(), 3, "order_by={order_by}");
        }
    }

    // Paging: offsets, with integer batch fields.
    let page = list(&app, &admin, "order_by=size&from=1&limit=1&unknown=1").await;
    assert_eq!(room_ids(&page), std::slice::from_ref(&small));
    assert_eq!(
        (page["next_batch"].as_i64(), page["prev_batch"].as_i64()),
        (Some(2), Some(0))
    );
    let count = list(&app, &admin, "limit=0").await;
    assert_eq!(
        (
            count["rooms"].as_array().map(Vec::len),
            count["total_rooms"].as_i64()
        ),
        (Some(0), Some(3))
    );
    assert_eq!(room_ids(&list(&app, &admin, "limit=20000").await).len(), 3);

    // Search (name any case, exact room ID) and filters.
    for (query, expected) in [
        ("search_term=ALPH", vec![big.clone()]),
        (&*format!("search_term={}", enc(&bare)), vec![bare.clone()]),
        ("public_rooms=true", vec![big.clone()]),
        ("public_rooms=false", vec![small.clone(), bare.clone()]),
        ("empty_rooms=true", vec![bare.clone()]),
        ("empty_rooms=false&public_rooms=false", vec![small.clone()]),
    ] {
        let page = list(&app, &admin, query).await;
        assert_eq!(room_ids(&page), expected, "{query}");
        assert_eq!(
            page["total_rooms"].as_i64(),
            i64::try_from(expected.len()).ok()
        );
    }

    // Bad input: Synapse's texts, never a 5xx.
    for (query, error) in [
        ("from=x", "Query parameter from must be an integer"),
        (
            "from=-1",
            "Query parameter from must be a positive integer.",
        ),
        ("limit=1.5", "Query parameter limit must be an integer"),
        ("dir=up", "Query parameter 'dir' must be one of ['b', 'f']"),
        ("search_term=", "search_term cannot be an empty string"),
        (
            "empty_rooms=yes",
            "Boolean query parameter 'empty_rooms' must be one of ['true', 'false']",
        ),
        (
            "public_rooms=1",
            "Boolean query parameter 'public_rooms' must be one of ['true', 'false']",
        ),
    ] {
        let reply = app
            .get(&format!("{ROOMS}?{query}"), Some(&admin.access_token))
            .await;
        assert_error(&reply, 400, "M_INVALID_PARAM", Some(error));
    }
    let reply = app
        .get(
            &format!("{ROOMS}?order_by=size2"),
            Some(&admin.access_token),
        )
        .await;
    assert_error(&reply, 400, "M_INVALID_PARAM", None);
    let message = reply.1["error"].as_str().unwrap_or_default().to_owned();
    assert!(
        message.starts_with(
            "Query parameter 'order_by' must be one of ['alphabetical', 'size', 'name'"
        ),
        "{message}"
    );
    let reply = app.get(ROOMS, Some(&alice.access_token)).await;
    assert_error(&reply, 403, "M_FORBIDDEN", None);
});

e2e!(
    shows_details_members_state_and_counters_after_evacuation,
    |app: TestApp| async move {
        let ([admin, alice, _], [big, _small, bare]) = three_rooms(&app).await;
        let token = Some(admin.access_token.as_str());
        for path in [format!("{ROOMS}/{big}"), format!("{ROOMS}/{}", enc(&big))] {
            let room = assert_ok(app.get(&path, token).await);
            assert_eq!(room["room_id"], big.as_str());
            assert_eq!(room["name"], "Alpha");
            assert_eq!(room["joined_local_devices"], 3);
            assert_eq!(
                (room["forgotten"].as_bool(), room["tombstoned"].as_bool()),
                (Some(false), Some(false))
            );
            assert!(
                room["topic"].is_null()
                    && room["avatar"].is_null()
                    && room["replacement_room"].is_null()
            );
        }
        let members = assert_ok(
            app.get(&format!("{ROOMS}/{big}/members?order_by=id&dir=b"), token)
                .await,
        );
        assert_eq!(members["total"], 3);
        assert_eq!(members["members"][0], app.user_id("alice"));
        let state = assert_ok(
            app.get(&format!("{ROOMS}/{}/state", enc(&big)), token)
                .await,
        );
        let events = state["state"].as_array().cloned().unwrap_or_default();
        assert!(
            events
                .iter()
                .any(|e| e["type"] == "m.room.create" && e["event_id"].is_string())
        );
        let names = assert_ok(
            app.get(&format!("{ROOMS}/{big}/state?type=m.room.name"), token)
                .await,
        );
        assert_eq!(names["state"].as_array().map(Vec::len), Some(1));
        assert_eq!(names["state"][0]["content"]["name"], "Alpha");
        let members_empty = assert_ok(app.get(&format!("{ROOMS}/{bare}/members"), token).await);
        assert_eq!(members_empty, json!({"members": [], "total": 0}));

        for path in ["", "/members", "/state"] {
            let unknown = app
                .get(&format!("{ROOMS}/!nope:bailiff.test{path}"), token)
                .await;
            assert_error(&unknown, 404, "M_NOT_FOUND", Some("Room not found"));
            let bad = app.get(&format!("{ROOMS}/not-a-room{path}"), token).await;
            assert_error(&bad, 400, "M_INVALID_PARAM", None);
        }
        let forbidden = app
            .get(&format!("{ROOMS}/{big}"), Some(&alice.access_token))
            .await;
        assert_error(&forbidden, 403, "M_FORBIDDEN", None);

        // Evacuating the room: every local member leaves, and the counters say so.
        assert_ok(
            app.post(
                &format!("/_dendrite/admin/evacuateRoom/{}", enc(&big)),
                token,
                &json!({}),
            )
            .await,
        );
        let room = assert_ok(app.get(&format!("{ROOMS}/{big}"), token).await);
        assert_eq!(
            (
                room["joined_members"].as_i64(),
                room["joined_local_members"].as_i64()
            ),
            (Some(0), Some(0))
        );
        assert_eq!(room["joined_local_devices"], 0);
        let empty = list(&app, &admin, "empty_rooms=true").await;
        assert_eq!(empty["total_rooms"], 2);
    }
);

e2e!(
    answers_user_rooms_counts_and_the_directory,
    |app: TestApp| async move {
        let ([admin, _, bob_user], [big, small, bare]) = three_rooms(&app).await;
        let token = Some(admin.access_token.as_str());
        let bob = bob_user.user_id.clone();
        let users = "/_synapse/admin/v1/users";
        for id in [bob.clone(), enc(&bob)] {
            let joined = assert_ok(app.get(&format!("{users}/{id}/joined_rooms"), token).await);
            assert_eq!(joined, json!({"joined_rooms": [big, small], "total": 2}));
        }
        let memberships = assert_ok(app.get(&format!("{users}/{bob}/memberships"), token).await);
        assert_eq!(
            memberships["memberships"],
            json!({big.clone(): "join", small.clone(): "join", bare.clone(): "leave"})
        );
        let nobody = assert_ok(
            app.get(&format!("{users}/@nobody:elsewhere/joined_rooms"), token)
                .await,
        );
        assert_eq!(nobody, json!({"joined_rooms": [], "total": 0}));
        let data = assert_ok(app.get(&format!("{users}/{bob}/accountdata"), token).await);
        assert_eq!(data, json!({"account_data": {"global": {}, "rooms": {}}}));
        let remote = app
            .get(&format!("{users}/@x:elsewhere/accountdata"), token)
            .await;
        assert_error(&remote, 400, "M_INVALID_PARAM", None);
        let unknown = app
            .get(&format!("{users}/@ghost:bailiff.test/accountdata"), token)
            .await;
        assert_error(&unknown, 404, "M_NOT_FOUND", None);

        // Bob invites Carol; Bob joined three rooms in all (one left since).
        let carol = app.register_user("carol", false).await;
        assert_ok(
            app.post(
                &v3(&format!("/rooms/{}/invite", enc(&small))),
                Some(&bob_user.access_token),
                &json!({"user_id": carol.user_id}),
            )
            .await,
        );
        let invites = assert_ok(
            app.get(&format!("{users}/{bob}/sent_invite_count?from_ts=0"), token)
                .await,
        );
        assert_eq!(invites, json!({"invite_count": 1}));
        let joined = assert_ok(
            app.get(
                &format!("{users}/{bob}/cumulative_joined_room_count?from_ts=0"),
                token,
            )
            .await,
        );
        assert_eq!(joined, json!({"cumulative_joined_room_count": 3}));
        let later = assert_ok(
            app.get(
                &format!("{users}/{bob}/cumulative_joined_room_count?from_ts=99999999999999"),
                token,
            )
            .await,
        );
        assert_eq!(later, json!({"cumulative_joined_room_count": 0}));
        let bad = app
            .get(&format!("{users}/{bob}/sent_invite_count?from_ts=x"), token)
            .await;
        assert_error(
            &bad,
            400,
            "M_INVALID_PARAM",
            Some("Query parameter from_ts must be an integer"),
        );

        // The directory: publicRooms lists the published room, on r0 and v3, GET and POST.
        for prefix in ["/_matrix/client/r0", "/_matrix/client/v3"] {
            let public = assert_ok(
                app.get(&format!("{prefix}/publicRooms?limit=5&server=x"), token)
                    .await,
            );
            assert_eq!(public["total_room_count_estimate"], 1);
            assert_eq!(public["chunk"][0]["room_id"], big.as_str());
            assert_eq!(public["chunk"][0]["num_joined_members"], 3);
            assert_eq!(public["chunk"][0]["guest_can_join"], false);
            let searched = assert_ok(
                app.post(
                    &format!("{prefix}/publicRooms"),
                    token,
                    &json!({"filter": {"generic_search_term": "zzz"}}),
                )
                .await,
            );
            assert_eq!(searched["chunk"], json!([]));
        }
        let directory = |room: &str| v3(&format!("/directory/list/room/{}", enc(room)));
        assert_eq!(
            assert_ok(app.get(&directory(&big), token).await),
            json!({"visibility": "public"})
        );
        assert_eq!(
            assert_ok(app.get(&directory(&small), token).await),
            json!({"visibility": "private"})
        );
        // Carol is only invited: not allowed; Bob created `small` (power 100); an admin may.
        let reply = app
            .call(
                "PUT",
                &directory(&small),
                Some(&carol.access_token),
                Some(&json!({"visibility": "public"})),
            )
            .await;
        assert_error(&reply, 403, "M_FORBIDDEN", None);
        let reply = app
            .call(
                "PUT",
                &directory(&small),
                Some(&bob_user.access_token),
                Some(&json!({})),
            )
            .await;
        assert_ok(reply);
        assert_eq!(
            assert_ok(app.get(&directory(&small), token).await),
            json!({"visibility": "public"})
        );
        let reply = app
            .call(
                "PUT",
                &directory(&bare),
                token,
                Some(&json!({"visibility": "private"})),
            )
            .await;
        assert_ok(reply);
        let reply = app
            .call(
                "PUT",
                &directory(&big),
                token,
                Some(&json!({"visibility": "hidden"})),
            )
            .await;
        assert_error(
            &reply,
            400,
            "M_INVALID_PARAM",
            Some("Invalid visibility setting"),
        );
        let reply = app.get(&directory("!nope:bailiff.test"), token).await;
        assert_error(&reply, 404, "M_NOT_FOUND", None);
        let public = list(&app, &admin, "public_rooms=true").await;
        assert_eq!(public["total_rooms"], 2);
    }
);
