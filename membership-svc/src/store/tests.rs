//! Store tests, each run against SQLite and PostgreSQL.

use bailiff_database::{Database, test_on_both_backends};

use bailiff_domain::Membership;

use super::*;

use super::fixtures::store;

async fn new_room(store: &Store, room_id: &str, creator: &str) {
    let mut tx = store.begin_write().await.expect("begin");
    let events = super::fixtures::room_opening(&mut tx, room_id, creator).await;
    append_events(&mut tx, room_id, &events, 1)
        .await
        .expect("append");
    tx.commit().await.expect("commit");
}

test_on_both_backends!(
    appends_events_in_stream_order_with_state,
    |db: Database| async move {
        let store = store(db).await;
        new_room(&store, "!r:hs", "@a:hs").await;
        let mut tx = store.begin_write().await.expect("begin");
        let stored = append_events(
            &mut tx,
            "!r:hs",
            &[
                NewEvent::state("m.room.name", "", "@a:hs", r#"{"name":"one"}"#),
                NewEvent::message(
                    "m.room.message",
                    "@a:hs",
                    r#"{"body":"hi","msgtype":"m.text"}"#,
                ),
                NewEvent::state("m.room.name", "", "@a:hs", r#"{"name":"two"}"#),
            ],
            5,
        )
        .await
        .expect("append");
        tx.commit().await.expect("commit");
        let positions: Vec<i64> = stored.iter().map(|e| e.stream_pos).collect();
        assert_eq!(positions, vec![3, 4, 5]);
        assert!(
            stored
                .iter()
                .all(|e| e.event_id.len() == 44 && e.origin_server_ts == 5)
        );
        // The second name replaces the first, and says so.
        let unsigned: serde_json::Value =
            serde_json::from_str(stored[2].unsigned.as_deref().expect("unsigned")).expect("json");
        assert_eq!(unsigned["prev_content"]["name"], "one");
        assert_eq!(unsigned["replaces_state"], stored[0].event_id.as_str());
        assert!(stored[0].unsigned.is_none());

        let mut conn = store.conn().await.expect("conn");
        assert_eq!(current_pos(&mut conn).await.expect("pos"), 5);
        let name = current_state_event(&mut conn, "!r:hs", "m.room.name", "")
            .await
            .expect("state")
            .expect("name");
        assert_eq!(name.event_id, stored[2].event_id);
        let state: Vec<String> = current_state(&mut conn, "!r:hs")
            .await
            .expect("state")
            .into_iter()
            .map(|e| e.event_type)
            .collect();
        assert_eq!(state, vec!["m.room.create", "m.room.member", "m.room.name"]);
        // Historical state: at position 3 the name was "one".
        let then = state_at(&mut conn, "!r:hs", 3).await.expect("state_at");
        let then_name = then
            .iter()
            .find(|e| e.event_type == "m.room.name")
            .expect("name then");
        assert_eq!(then_name.event_id, stored[0].event_id);
        assert_eq!(
            state_at(&mut conn, "!r:hs", 1)
                .await
                .expect("state_at")
                .len(),
            1
        );

        let newest = events_between(&mut conn, "!r:hs", 0, 5, 2, Dir::Backward)
            .await
            .expect("page");
        assert_eq!(
            newest.iter().map(|e| e.stream_pos).collect::<Vec<_>>(),
            vec![5, 4]
        );
        let oldest = events_between(&mut conn, "!r:hs", 1, 5, 2, Dir::Forward)
            .await
            .expect("page");
        assert_eq!(
            oldest.iter().map(|e| e.stream_pos).collect::<Vec<_>>(),
            vec![2, 3]
        );
        let by_id = event_by_id(&mut conn, &stored[1].event_id)
            .await
            .expect("by id");
        assert_eq!(by_id.as_ref(), Some(&stored[1]));
    }
);

test_on_both_backends!(
    batch_member_events_for_500_users,
    |db: Database| async move {
        let store = store(db).await;
        new_room(&store, "!big:hs", "@owner:hs").await;
        let users: Vec<String> = (0..500).map(|i| format!("@u{i:03}:hs")).collect();
        let mut tx = store.begin_write().await.expect("begin");
        let joins: Vec<MemberChange<'_>> = users
            .iter()
            .map(|u| MemberChange::by_self(u, Membership::Join, r#"{"displayname":"D"}"#))
            .collect();
        let ids = append_member_events(&mut tx, "!big:hs", &joins, 10)
            .await
            .expect("joins");
        tx.commit().await.expect("commit");
        assert_eq!(ids.len(), 500);

        let mut conn = store.conn().await.expect("conn");
        let joined = local_joined_members(&mut conn, "!big:hs", "hs")
            .await
            .expect("members");
        assert_eq!(joined.len(), 501);
        assert_eq!(joined[0], "@owner:hs");
        assert_eq!(&joined[1..], &users[..]);
        drop(conn);

        // Evacuate: everyone leaves, prior content kept, in one batch.
        let mut tx = store.begin_write().await.expect("begin");
        let leaves: Vec<MemberChange<'_>> = users
            .iter()
            .map(|u| {
                MemberChange::by_self(
                    u,
                    Membership::Leave,
                    r#"{"displayname":"D","membership":"join"}"#,
                )
            })
            .collect();
        let ids = append_member_events(&mut tx, "!big:hs", &leaves, 11)
            .await
            .expect("leaves");
        tx.commit().await.expect("commit");
        assert_eq!(ids.len(), 500);

        let mut conn = store.conn().await.expect("conn");
        let joined = local_joined_members(&mut conn, "!big:hs", "hs")
            .await
            .expect("members");
        assert_eq!(joined, vec!["@owner:hs".to_owned()]);
        let row = membership_of(&mut conn, "!big:hs", "@u007:hs")
            .await
            .expect("row")
            .expect("some");
        assert_eq!(row.membership, "leave");
        assert_eq!(row.prev_membership.map(Membership::as_str), Some("join"));
        assert_eq!(row.sender, "@u007:hs");
        let content: serde_json::Value = serde_json::from_str(&row.content).expect("json");
        assert_eq!(
            content,
            serde_json::json!({"displayname": "D", "membership": "leave"})
        );
        let event = event_by_id(&mut conn, &row.event_id)
            .await
            .expect("event")
            .expect("some");
        let unsigned: serde_json::Value =
            serde_json::from_str(event.unsigned.as_deref().expect("unsigned")).expect("json");
        assert_eq!(unsigned["prev_content"]["membership"], "join");
        assert!(
            ever_joined_before(&mut conn, "!big:hs", "@u007:hs", row.stream_pos)
                .await
                .expect("q")
        );
        assert!(
            !ever_joined_before(&mut conn, "!big:hs", "@nobody:hs", i64::MAX)
                .await
                .expect("q")
        );
        assert_eq!(
            rooms_with_membership(&mut conn, "@owner:hs", Membership::Join)
                .await
                .expect("rooms"),
            vec!["!big:hs".to_owned()]
        );
        assert!(
            rooms_with_membership(&mut conn, "@u007:hs", Membership::Join)
                .await
                .expect("rooms")
                .is_empty()
        );
        assert_eq!(
            member_rows_of_room(&mut conn, "!big:hs", Some(Membership::Leave))
                .await
                .expect("rows")
                .len(),
            500
        );
        assert_eq!(
            member_rows_of_room(&mut conn, "!big:hs", None)
                .await
                .expect("rows")
                .len(),
            501
        );
    }
);

test_on_both_backends!(remote_members_are_not_local, |db: Database| async move {
    let store = store(db).await;
    new_room(&store, "!r:hs", "@a:hs").await;
    let mut tx = store.begin_write().await.expect("begin");
    append_member_events(
        &mut tx,
        "!r:hs",
        &[
            MemberChange::by_self("@b:other", Membership::Join, "{}"),
            MemberChange::by_self("@c:hs", Membership::Join, "not json"),
            MemberChange {
                user_id: "@d:hs",
                sender: "@a:hs",
                membership: Membership::Invite,
                content: "{}",
            },
        ],
        3,
    )
    .await
    .expect("append");
    tx.commit().await.expect("commit");
    let mut conn = store.conn().await.expect("conn");
    assert_eq!(
        local_joined_members(&mut conn, "!r:hs", "hs")
            .await
            .expect("q"),
        vec!["@a:hs".to_owned(), "@c:hs".to_owned()]
    );
    assert_eq!(
        rooms_with_membership(&mut conn, "@d:hs", Membership::Invite)
            .await
            .expect("q"),
        vec!["!r:hs".to_owned()]
    );
    let invite = membership_of(&mut conn, "!r:hs", "@d:hs")
        .await
        .expect("q")
        .expect("row");
    assert_eq!(invite.sender, "@a:hs");
});

test_on_both_backends!(
    account_data_takes_stream_positions,
    |db: Database| async move {
        let store = store(db).await;
        new_room(&store, "!r:hs", "@a:hs").await;
        let mut tx = store.begin_write().await.expect("begin");
        let first = set_room_account_data(&mut tx, "@a:hs", "!r:hs", "m.tag", r#"{"tags":{}}"#)
            .await
            .expect("set");
        let second =
            set_room_account_data(&mut tx, "@a:hs", "!r:hs", "m.tag", r#"{"tags":{"u.x":{}}}"#)
                .await
                .expect("set");
        tx.commit().await.expect("commit");
        assert_eq!((first, second), (3, 4));
        let mut conn = store.conn().await.expect("conn");
        assert_eq!(
            room_account_data(&mut conn, "@a:hs", "!r:hs", "m.tag")
                .await
                .expect("get")
                .as_deref(),
            Some(r#"{"tags":{"u.x":{}}}"#)
        );
        assert_eq!(
            account_data_changes(&mut conn, "@a:hs", 3, 4)
                .await
                .expect("changes")
                .len(),
            1
        );
        assert!(
            account_data_changes(&mut conn, "@a:hs", 4, 10)
                .await
                .expect("changes")
                .is_empty()
        );
        assert_eq!(
            room_account_data_for_room(&mut conn, "@a:hs", "!r:hs")
                .await
                .expect("all")
                .len(),
            1
        );
        assert_eq!(
            room_account_data(&mut conn, "@b:hs", "!r:hs", "m.tag")
                .await
                .expect("get"),
            None
        );
    }
);

test_on_both_backends!(
    concurrent_writers_commit_positions_in_order,
    |db: Database| async move {
        let store = store(db).await;
        new_room(&store, "!r:hs", "@a:hs").await;
        let writers: Vec<_> = (0..8)
            .map(|w| {
                let store = store.clone();
                tokio::spawn(async move {
                    for i in 0..10 {
                        let mut tx = store.begin_write().await.expect("begin");
                        let body = format!(r#"{{"body":"{w}-{i}"}}"#);
                        append_events(
                            &mut tx,
                            "!r:hs",
                            &[NewEvent::message("m.room.message", "@a:hs", body)],
                            1,
                        )
                        .await
                        .expect("append");
                        tokio::task::yield_now().await;
                        tx.commit().await.expect("commit");
                    }
                })
            })
            .collect();
        // A reader that sees position N must see every position up to N.
        let reader = {
            let store = store.clone();
            tokio::spawn(async move {
                for _ in 0..50 {
                    let mut conn = store.conn().await.expect("conn");
                    let seen = current_pos(&mut conn).await.expect("pos");
                    let count: i64 = sqlx::query_scalar(
                        "SELECT COUNT(*) FROM membership_events WHERE stream_pos <= $1",
                    )
                    .bind(seen)
                    .fetch_one(&mut *conn)
                    .await
                    .expect("count");
                    assert_eq!(
                        count, seen,
                        "a position at or below {seen} was not committed yet"
                    );
                    tokio::task::yield_now().await;
                }
            })
        };
        for writer in writers {
            writer.await.expect("writer");
        }
        reader.await.expect("reader");
        let mut conn = store.conn().await.expect("conn");
        assert_eq!(current_pos(&mut conn).await.expect("pos"), 82);
        let rows = events_between(&mut conn, "!r:hs", 0, 1000, 1000, Dir::Forward)
            .await
            .expect("all");
        assert_eq!(
            rows.iter().map(|e| e.stream_pos).collect::<Vec<_>>(),
            (1..=82).collect::<Vec<_>>()
        );
    }
);

test_on_both_backends!(rolled_back_writes_leave_no_gap, |db: Database| async move {
    let store = store(db).await;
    new_room(&store, "!r:hs", "@a:hs").await;
    let mut tx = store.begin_write().await.expect("begin");
    append_events(
        &mut tx,
        "!r:hs",
        &[NewEvent::message("m.x", "@a:hs", "{}")],
        1,
    )
    .await
    .expect("append");
    tx.rollback().await.expect("rollback");
    let mut tx = store.begin_write().await.expect("begin");
    let stored = append_events(
        &mut tx,
        "!r:hs",
        &[NewEvent::message("m.x", "@a:hs", "{}")],
        1,
    )
    .await
    .expect("append");
    tx.commit().await.expect("commit");
    assert_eq!(stored[0].stream_pos, 3);
    let mut conn = store.conn().await.expect("conn");
    assert_eq!(
        get_room(&mut conn, "!r:hs")
            .await
            .expect("room")
            .map(|r| r.creator),
        Some("@a:hs".into())
    );
    assert_eq!(get_room(&mut conn, "!nope:hs").await.expect("room"), None);
    assert_eq!(
        find_server_notice_room(&mut conn, "@a:hs")
            .await
            .expect("q"),
        None
    );
});
