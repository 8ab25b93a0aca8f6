//! Room statistics tests, each run against SQLite and PostgreSQL: the counters kept by
//! `append_to_rooms` always equal a recount, and the list orders, filters and pages.

use bailiff_database::{Database, test_on_both_backends};
use bailiff_domain::Membership;

use super::fixtures::store;
use super::*;

async fn append(store: &Store, room_id: &str, events: &[NewEvent]) {
    let mut tx = store.begin_write().await.expect("begin");
    append_events(&mut tx, room_id, events, 7)
        .await
        .expect("append");
    tx.commit().await.expect("commit");
}

async fn new_room(store: &Store, room_id: &str, creator: &str, version: &str) {
    let mut tx = store.begin_write().await.expect("begin");
    insert_room(
        &mut tx,
        &RoomRow {
            room_id: room_id.into(),
            creator: creator.into(),
            created_ts: 1,
            room_version: version.into(),
            is_public: 0,
            server_notice_target: None,
        },
    )
    .await
    .expect("insert room");
    tx.commit().await.expect("commit");
    append(
        store,
        room_id,
        &[
            NewEvent::state("m.room.create", "", creator, r#"{"room_version":"10"}"#),
            member(creator, creator, "join"),
        ],
    )
    .await;
}

fn member(user: &str, sender: &str, membership: &str) -> NewEvent {
    NewEvent::state(
        "m.room.member",
        user,
        sender,
        format!(r#"{{"membership":"{membership}"}}"#),
    )
}

async fn row(store: &Store, room_id: &str) -> RoomStatsRow {
    let mut conn = store.conn().await.expect("conn");
    room_stats(&mut conn, room_id)
        .await
        .expect("read")
        .expect("row")
}

/// The row as kept equals the row rebuilt from the tables.
async fn assert_matches_recount(store: &Store, room_id: &str) -> RoomStatsRow {
    let kept = row(store, room_id).await;
    let mut tx = store.begin_write().await.expect("begin");
    room_stats::recount(&mut tx, room_id)
        .await
        .expect("recount");
    tx.commit().await.expect("commit");
    assert_eq!(kept, row(store, room_id).await, "{room_id}");
    kept
}

test_on_both_backends!(
    counters_follow_memberships_and_state,
    |db: Database| async move {
        let store = store(db).await;
        new_room(&store, "!r:hs", "@a:hs", "10").await;
        let r = assert_matches_recount(&store, "!r:hs").await;
        assert_eq!(
            (r.joined_members, r.joined_local_members, r.state_events),
            (1, 1, 2)
        );
        assert_eq!((r.federatable, r.room_type.as_deref()), (1, None));
        // Invites add a state key but no joined member; a remote join is not local.
        append(
            &store,
            "!r:hs",
            &[
                member("@b:hs", "@a:hs", "invite"),
                member("@c:remote", "@a:hs", "invite"),
                member("@b:hs", "@b:hs", "join"),
                member("@c:remote", "@c:remote", "join"),
                NewEvent::state("m.room.name", "", "@a:hs", r#"{"name":"Lobby"}"#),
                NewEvent::state("m.room.topic", "", "@a:hs", r#"{"topic":"Talk"}"#),
                NewEvent::state(
                    "m.room.encryption",
                    "",
                    "@a:hs",
                    r#"{"algorithm":"m.megolm.v1.aes-sha2"}"#,
                ),
                NewEvent::message("m.room.message", "@a:hs", r#"{"body":"hi"}"#),
            ],
        )
        .await;
        let r = assert_matches_recount(&store, "!r:hs").await;
        assert_eq!(
            (r.joined_members, r.joined_local_members, r.state_events),
            (3, 2, 7)
        );
        assert_eq!(r.name.as_deref(), Some("Lobby"));
        assert_eq!(r.topic.as_deref(), Some("Talk"));
        assert_eq!(r.encryption.as_deref(), Some("m.megolm.v1.aes-sha2"));
        // Leave, ban, a name removed, a tombstone: replaced keys add no state event.
        append(
            &store,
            "!r:hs",
            &[
                member("@b:hs", "@b:hs", "leave"),
                member("@c:remote", "@a:hs", "ban"),
                NewEvent::state("m.room.name", "", "@a:hs", "{}"),
                NewEvent::state(
                    "m.room.tombstone",
                    "",
                    "@a:hs",
                    r#"{"replacement_room":"!new:hs"}"#,
                ),
            ],
        )
        .await;
        let r = assert_matches_recount(&store, "!r:hs").await;
        assert_eq!(
            (r.joined_members, r.joined_local_members, r.state_events),
            (1, 1, 8)
        );
        assert_eq!(r.name, None);
        assert_eq!(r.replacement_room.as_deref(), Some("!new:hs"));
        // A join and a leave of one member in one batch: only the last counts.
        append(
            &store,
            "!r:hs",
            &[
                member("@b:hs", "@b:hs", "join"),
                member("@b:hs", "@b:hs", "leave"),
                member("@d:hs", "@d:hs", "join"),
            ],
        )
        .await;
        let r = assert_matches_recount(&store, "!r:hs").await;
        assert_eq!((r.joined_members, r.state_events), (2, 9));
    }
);

test_on_both_backends!(
    backfill_builds_missing_rows_and_forget_removes_them,
    |db: Database| async move {
        let store = store(db.clone()).await;
        new_room(&store, "!r:hs", "@a:hs", "10").await;
        append(&store, "!r:hs", &[member("@b:hs", "@b:hs", "join")]).await;
        let kept = row(&store, "!r:hs").await;
        let mut tx = store.begin_write().await.expect("begin");
        room_stats::forget(&mut tx, "!r:hs").await.expect("forget");
        tx.commit().await.expect("commit");
        let mut conn = store.conn().await.expect("conn");
        assert_eq!(room_stats(&mut conn, "!r:hs").await.expect("read"), None);
        drop(conn);
        // Migrating again (a restart) rebuilds the row of a room without one.
        crate::migrate(&db).await.expect("migrate");
        assert_eq!(row(&store, "!r:hs").await, kept);
    }
);

test_on_both_backends!(
    lists_in_every_order_with_filters_and_pages,
    |db: Database| async move {
        let store = store(db).await;
        // !a: 3 joined, "Alpha"; !b: 1 joined, "beta", public; !c: empty, no name.
        new_room(&store, "!a:hs", "@z:hs", "1").await;
        append(
            &store,
            "!a:hs",
            &[
                member("@x:hs", "@x:hs", "join"),
                member("@y:other", "@y:other", "join"),
                NewEvent::state("m.room.name", "", "@z:hs", r#"{"name":"Alpha"}"#),
                NewEvent::state(
                    "m.room.canonical_alias",
                    "",
                    "@z:hs",
                    r##"{"alias":"#alpha:hs"}"##,
                ),
            ],
        )
        .await;
        new_room(&store, "!b:hs", "@m:hs", "2").await;
        append(
            &store,
            "!b:hs",
            &[NewEvent::state(
                "m.room.name",
                "",
                "@m:hs",
                r#"{"name":"beta"}"#,
            )],
        )
        .await;
        new_room(&store, "!c:hs", "@a:hs", "3").await;
        append(&store, "!c:hs", &[member("@a:hs", "@a:hs", "leave")]).await;
        let mut conn = store.conn().await.expect("conn");
        assert!(set_public(&mut conn, "!b:hs", true).await.expect("publish"));
        assert!(
            !set_public(&mut conn, "!nope:hs", true)
                .await
                .expect("unknown")
        );

        let all = RoomFilter::default();
        let ids = |rows: Vec<RoomStatsRow>| -> Vec<String> {
            rows.into_iter().map(|r| r.room_id).collect()
        };
        let mut list = async |filter: &RoomFilter, order, reverse, from, limit| {
            let (rows, total) = list_rooms(&mut conn, filter, order, reverse, from, limit)
                .await
                .expect("list");
            (ids(rows), total)
        };
        let cases = [
            // No name (no alias) comes last.
            (RoomOrder::Name, ["!a:hs", "!b:hs", "!c:hs"]),
            (RoomOrder::CanonicalAlias, ["!a:hs", "!b:hs", "!c:hs"]),
            (RoomOrder::JoinedMembers, ["!a:hs", "!b:hs", "!c:hs"]),
            (RoomOrder::JoinedLocalMembers, ["!a:hs", "!b:hs", "!c:hs"]),
            (RoomOrder::Version, ["!c:hs", "!b:hs", "!a:hs"]),
            (RoomOrder::Creator, ["!c:hs", "!b:hs", "!a:hs"]),
            (RoomOrder::Public, ["!a:hs", "!c:hs", "!b:hs"]),
            (RoomOrder::StateEvents, ["!a:hs", "!b:hs", "!c:hs"]),
            (RoomOrder::Federatable, ["!a:hs", "!b:hs", "!c:hs"]),
        ];
        for (order, expected) in cases {
            let (forward, total) = list(&all, order, false, 0, 10).await;
            assert_eq!(forward, expected, "{order:?}");
            assert_eq!(total, 3);
            let (backward, _) = list(&all, order, true, 0, 10).await;
            let mut reversed = expected.to_vec();
            reversed.reverse();
            assert_eq!(backward, reversed, "{order:?} reversed");
        }
        // Paging: offset and limit, total of all matches.
        assert_eq!(
            list(&all, RoomOrder::JoinedMembers, false, 1, 1).await,
            (vec!["!b:hs".to_owned()], 3)
        );
        assert_eq!(list(&all, RoomOrder::Name, false, 0, 0).await, (vec![], 3));
        // Search: name (any case), alias, exact room ID.
        for (term, expected) in [("BET", "!b:hs"), ("alp", "!a:hs"), ("!c:hs", "!c:hs")] {
            let filter = RoomFilter {
                search_term: Some(term.into()),
                ..RoomFilter::default()
            };
            assert_eq!(
                list(&filter, RoomOrder::Name, false, 0, 10).await,
                (vec![expected.to_owned()], 1),
                "{term}"
            );
        }
        let public = RoomFilter {
            public: Some(true),
            ..RoomFilter::default()
        };
        assert_eq!(
            list(&public, RoomOrder::Name, false, 0, 10).await.0,
            ["!b:hs"]
        );
        let empty = RoomFilter {
            empty: Some(true),
            ..RoomFilter::default()
        };
        assert_eq!(
            list(&empty, RoomOrder::Name, false, 0, 10).await.0,
            ["!c:hs"]
        );
        let not_empty = RoomFilter {
            empty: Some(false),
            public: Some(false),
            ..RoomFilter::default()
        };
        assert_eq!(
            list(&not_empty, RoomOrder::Name, false, 0, 10).await.0,
            ["!a:hs"]
        );
    }
);

test_on_both_backends!(
    counts_sent_invites_and_joined_rooms,
    |db: Database| async move {
        let store = store(db).await;
        new_room(&store, "!r:hs", "@a:hs", "10").await;
        new_room(&store, "!s:hs", "@b:hs", "10").await;
        append(
            &store,
            "!r:hs",
            &[
                member("@b:hs", "@a:hs", "invite"),
                member("@c:hs", "@a:hs", "invite"),
                member("@b:hs", "@b:hs", "join"),
                member("@b:hs", "@b:hs", "leave"),
                member("@b:hs", "@b:hs", "join"),
            ],
        )
        .await;
        let mut conn = store.conn().await.expect("conn");
        assert_eq!(
            sent_invite_count(&mut conn, "@a:hs", 0).await.expect("n"),
            2
        );
        assert_eq!(
            sent_invite_count(&mut conn, "@a:hs", 8).await.expect("n"),
            0
        );
        assert_eq!(
            sent_invite_count(&mut conn, "@b:hs", 0).await.expect("n"),
            0
        );
        // Two joins of !r and the creation join of !s: two distinct rooms.
        assert_eq!(
            cumulative_joined_room_count(&mut conn, "@b:hs", 0)
                .await
                .expect("n"),
            2
        );
        let memberships = memberships_of_user(&mut conn, "@b:hs").await.expect("rows");
        assert!(memberships.iter().all(|m| m.membership == Membership::Join));
    }
);
