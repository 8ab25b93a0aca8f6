//! docs/http-api.md §5 `/sync`: initial and incremental sync, invites with stripped state,
//! leaves, full_state, and a long-poll woken by another user's send.

use std::time::Duration;

use serde_json::{Value, json};

use crate::harness::*;
use crate::rooms::{bodies, create_room, say, v3};

async fn sync(app: &TestApp, user: &TestUser, query: &str) -> Value {
    assert_ok(
        app.get(&v3(&format!("/sync{query}")), Some(&user.access_token))
            .await,
    )
}

e2e!(
    sync_initial_incremental_invite_leave,
    |app: TestApp| async move {
        let alice = app.register_user("alice", false).await;
        let bob = app.register_user("bob", false).await;
        let room = create_room(
            &app,
            &alice,
            json!({"name": "Sync room", "invite": [bob.user_id]}),
        )
        .await;

        // Alice's initial sync: the room with its state and timeline.
        let initial = sync(&app, &alice, "").await;
        let next_batch = initial["next_batch"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        assert!(!next_batch.is_empty(), "{initial}");
        let joined = &initial["rooms"]["join"][&room];
        assert!(joined["timeline"]["events"].is_array(), "{initial}");
        assert!(joined["timeline"]["prev_batch"].is_string(), "{initial}");
        assert!(joined["account_data"]["events"].is_array(), "{initial}");
        let mut state_types: Vec<String> = joined["state"]["events"]
            .as_array()
            .into_iter()
            .flatten()
            .chain(
                joined["timeline"]["events"]
                    .as_array()
                    .into_iter()
                    .flatten(),
            )
            .filter(|e| e.get("state_key").is_some())
            .filter_map(|e| e["type"].as_str().map(str::to_owned))
            .collect();
        state_types.sort();
        state_types.dedup();
        for wanted in [
            "m.room.create",
            "m.room.member",
            "m.room.power_levels",
            "m.room.name",
        ] {
            assert!(
                state_types.iter().any(|t| t == wanted),
                "{wanted}: {initial}"
            );
        }

        // Bob's initial sync: an invite whose stripped events carry their sender.
        let bob_initial = sync(&app, &bob, "").await;
        let invite_state = bob_initial["rooms"]["invite"][&room]["invite_state"]["events"]
            .as_array()
            .cloned()
            .unwrap_or_else(|| panic!("no invite in {bob_initial}"));
        for event in &invite_state {
            assert!(event["sender"].is_string(), "{event}");
            assert!(
                event["type"].is_string() && event["state_key"].is_string(),
                "{event}"
            );
            assert!(event.get("event_id").is_none(), "stripped: {event}");
        }
        let member = invite_state
            .iter()
            .find(|e| e["type"] == "m.room.member")
            .unwrap_or_else(|| panic!("no invite event in {bob_initial}"));
        assert_eq!(member["sender"], alice.user_id.as_str());
        assert_eq!(member["state_key"], bob.user_id.as_str());
        assert_eq!(member["content"]["membership"], "invite");
        let name = invite_state
            .iter()
            .find(|e| e["type"] == "m.room.name")
            .unwrap_or_else(|| panic!("no name in {bob_initial}"));
        assert_eq!(name["content"]["name"], "Sync room");

        // Nothing new: an incremental sync with timeout 0 is empty.
        let quiet = sync(&app, &alice, &format!("?since={next_batch}&timeout=0")).await;
        assert_eq!(quiet["rooms"]["join"], json!({}), "{quiet}");
        assert_eq!(quiet["next_batch"], next_batch.as_str());

        // Bob joins, Alice talks: Alice's incremental sync has exactly that.
        let bob_since = bob_initial["next_batch"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        assert_ok(
            app.post(
                &v3(&format!("/join/{room}")),
                Some(&bob.access_token),
                &json!({}),
            )
            .await,
        );
        assert_ok(say(&app, &alice, &room, "txn-hello", "hello").await);
        let next = sync(&app, &alice, &format!("?since={next_batch}")).await;
        let timeline = &next["rooms"]["join"][&room]["timeline"];
        assert_eq!(timeline["limited"], false, "{next}");
        let events = timeline["events"].as_array().cloned().unwrap_or_default();
        assert_eq!(events.len(), 2, "{next}");
        assert_eq!(events[0]["state_key"], bob.user_id.as_str());
        assert_eq!(bodies(&timeline["events"]), vec!["hello"]);
        // The sending device sees its transaction ID.
        assert_eq!(
            events[1]["unsigned"]["transaction_id"], "txn-hello",
            "{next}"
        );

        // Bob: the room moved from invite to join.
        let bob_next = sync(&app, &bob, &format!("?since={bob_since}")).await;
        assert!(bob_next["rooms"]["join"].get(&room).is_some(), "{bob_next}");
        assert!(
            bob_next["rooms"]["invite"].get(&room).is_none(),
            "{bob_next}"
        );

        // full_state returns the state again, at once.
        let alice_since = next["next_batch"].as_str().unwrap_or_default().to_owned();
        let full = sync(
            &app,
            &alice,
            &format!("?since={alice_since}&full_state=true&timeout=20000"),
        )
        .await;
        assert!(
            full["rooms"]["join"][&room]["state"]["events"]
                .as_array()
                .is_some_and(|events| events.len() >= 5),
            "{full}"
        );

        // Bob leaves: rooms.leave carries the leave event.
        let bob_since = bob_next["next_batch"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        assert_ok(
            app.post(
                &v3(&format!("/rooms/{room}/leave")),
                Some(&bob.access_token),
                &json!({}),
            )
            .await,
        );
        let left = sync(&app, &bob, &format!("?since={bob_since}")).await;
        let events = left["rooms"]["leave"][&room]["timeline"]["events"]
            .as_array()
            .cloned()
            .unwrap_or_else(|| panic!("no leave in {left}"));
        let last = events.last().cloned().unwrap_or_default();
        assert_eq!(last["type"], "m.room.member");
        assert_eq!(last["content"]["membership"], "leave");
        assert_eq!(left["rooms"]["join"], json!({}));
        // r0 works the same.
        assert_ok(
            app.get("/_matrix/client/r0/sync", Some(&bob.access_token))
                .await,
        );
    }
);

e2e!(
    sync_long_poll_woken_by_another_users_send,
    |app: TestApp| async move {
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
        let since = sync(&app, &bob, "").await["next_batch"]
            .as_str()
            .unwrap_or_default()
            .to_owned();

        // Bob waits (up to 25 s); Alice sends after 300 ms.
        let query = format!("?since={since}&timeout=25000");
        let waiting = sync(&app, &bob, &query);
        let send = async {
            tokio::time::sleep(Duration::from_millis(300)).await;
            assert_ok(say(&app, &alice, &room, "wake", "wake up").await);
        };
        let (woken, ()) = tokio::join!(waiting, send);
        let events = &woken["rooms"]["join"][&room]["timeline"]["events"];
        assert_eq!(bodies(events), vec!["wake up"], "{woken}");
        assert_ne!(woken["next_batch"], since.as_str());

        // A long-poll with nothing to report returns empty when its timeout runs out.
        let next = woken["next_batch"].as_str().unwrap_or_default().to_owned();
        let empty = sync(&app, &bob, &format!("?since={next}&timeout=200")).await;
        assert_eq!(empty["rooms"]["join"], json!({}), "{empty}");
        assert_eq!(empty["next_batch"], next.as_str());
    }
);
