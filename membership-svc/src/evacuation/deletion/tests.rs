//! Room deletion tests, each on SQLite and PostgreSQL: a purge leaves no row of the room
//! in any per-room table (and touches no other room), replaying any chunk changes
//! nothing, the purge waits for the leaves, the notification room gets the members once,
//! and a block refuses joins and invites.

use std::collections::HashMap;
use std::time::Duration;

use bailiff_database::{Backend, Database, test_on_both_backends};
use bailiff_domain::{JobStatus, OwnedRoomId, OwnedUserId};
use bailiff_proto::membership as pb;
use replica_bus::ReplicaBus;
use tokio_util::sync::CancellationToken;

use super::DeleteOptions;
use crate::api::RoomsService;
use crate::evacuation::fixtures::{self, HS, store};
use crate::evacuation::{Applied, Evacuator, Settings};
use crate::notifier::SyncNotifier;
use crate::store::{self, NewEvent, Store, purge};

/// Two users per leave chunk, three rows per purge step, one step per delivery: every
/// path runs several times on a small room.
fn settings() -> Settings {
    Settings {
        chunk_size: 2,
        purge_batch: 3,
        purge_slice: Duration::ZERO,
        ..Settings::default()
    }
}

fn evacuator(store: &Store) -> Evacuator {
    fixtures::evacuator(store, settings())
}

/// A public room of `creator` joined by `members`, with a message, a tag and a
/// transaction ID each.
async fn room_with(store: &Store, room_id: &str, creator: &str, members: &[&str]) {
    let mut tx = store.begin_write().await.expect("begin");
    let mut events = fixtures::room_opening(&mut tx, room_id, creator).await;
    events.push(NewEvent::state(
        "m.room.join_rules",
        "",
        creator,
        r#"{"join_rule":"public"}"#,
    ));
    for user in members {
        events.push(NewEvent::state(
            "m.room.member",
            *user,
            *user,
            r#"{"membership":"join","displayname":"D"}"#,
        ));
        events.push(NewEvent::message(
            "m.room.message",
            *user,
            r#"{"body":"hi"}"#,
        ));
    }
    let stored = store::append_events(&mut tx, room_id, &events, 1)
        .await
        .expect("append");
    for (user, event) in members.iter().zip(stored.iter().skip(3).step_by(2)) {
        store::set_room_account_data(&mut tx, user, room_id, "m.tag", r#"{"tags":{}}"#)
            .await
            .expect("tag");
        store::insert_txn(&mut tx, user, "DEV", room_id, room_id, &event.event_id, 1)
            .await
            .expect("txn");
    }
    tx.commit().await.expect("commit");
}

async fn rows_left(store: &Store, room_id: &str) -> i64 {
    let mut conn = store.conn().await.expect("conn");
    purge::room_row_counts(&mut conn, room_id)
        .await
        .expect("counts")
        .iter()
        .map(|(_, count)| count)
        .sum()
}

async fn membership(store: &Store, room_id: &str, user: &str) -> Option<String> {
    let mut conn = store.conn().await.expect("conn");
    store::membership_of(&mut conn, room_id, user)
        .await
        .expect("membership")
        .map(|m| m.membership.as_str().to_owned())
}

fn options(room_id: &str) -> DeleteOptions {
    DeleteOptions {
        room_id: OwnedRoomId::try_from(room_id).expect("room"),
        requester: OwnedUserId::try_from("@admin:hs").expect("user"),
        block: false,
        purge: true,
        new_room_user_id: None,
        room_name: None,
        message: None,
    }
}

test_on_both_backends!(
    a_purge_removes_every_row_of_the_room_and_replays_change_nothing,
    |db: Database| async move {
        let store = store(db).await;
        let members = ["@a:hs", "@b:hs", "@c:hs", "@remote:elsewhere"];
        room_with(&store, "!gone:hs", "@creator:hs", &members).await;
        room_with(&store, "!kept:hs", "@creator:hs", &["@a:hs"]).await;
        let kept_before = rows_left(&store, "!kept:hs").await;
        let evacuator = evacuator(&store);
        let deletion = evacuator
            .plan_deletion(&options("!gone:hs"), &HashMap::new())
            .await
            .expect("plan");
        let job_id = deletion.job.job_id.clone();
        // creator, a, b, c: two leave chunks, then the purge chunk (2).
        assert_eq!(deletion.job.total, 5);
        // The purge waits for the leaves.
        assert_eq!(
            evacuator.apply_chunk(&job_id, 2).await.expect("early"),
            Applied::Deferred
        );
        assert!(rows_left(&store, "!gone:hs").await > 0);
        for chunk in 0..2 {
            assert!(matches!(
                evacuator.apply_chunk(&job_id, chunk).await.expect("leave"),
                Applied::Done { events: 2, .. }
            ));
            assert_eq!(
                evacuator.apply_chunk(&job_id, chunk).await.expect("replay"),
                Applied::AlreadySettled
            );
        }
        assert_eq!(
            membership(&store, "!gone:hs", "@a:hs").await.as_deref(),
            Some("leave")
        );
        assert_eq!(
            membership(&store, "!gone:hs", "@remote:elsewhere")
                .await
                .as_deref(),
            Some("join")
        );
        // One step per delivery (purge_slice = 0): deferred until nothing is left.
        let mut deliveries = 0;
        let job = loop {
            deliveries += 1;
            assert!(deliveries < 100, "purge does not end");
            match evacuator.apply_chunk(&job_id, 2).await.expect("purge") {
                Applied::Deferred => {}
                Applied::Done { job, .. } => break job,
                other => panic!("unexpected {other:?}"),
            }
        };
        assert!(deliveries > 3, "bounded steps, not one transaction");
        assert_eq!(job.status, JobStatus::Complete);
        assert_eq!((job.done, job.failed), (5, 0));
        assert_eq!(rows_left(&store, "!gone:hs").await, 0);
        assert_eq!(rows_left(&store, "!kept:hs").await, kept_before);
        for chunk in 0..3 {
            assert_eq!(
                evacuator.apply_chunk(&job_id, chunk).await.expect("replay"),
                Applied::AlreadySettled
            );
        }
        assert_eq!(rows_left(&store, "!gone:hs").await, 0);
        let deletion = evacuator
            .deletion(&job_id)
            .await
            .expect("read")
            .expect("known");
        assert_eq!(
            deletion.kicked_users,
            ["@creator:hs", "@a:hs", "@b:hs", "@c:hs"]
        );
        assert!(deletion.purged_rows > 0);
        // The room is unknown now.
        let again = evacuator
            .plan_deletion(&options("!gone:hs"), &HashMap::new())
            .await;
        assert!(matches!(again.map_err(|e| e.to_matrix().status), Err(404)));
    }
);

test_on_both_backends!(
    members_move_to_the_notification_room_once,
    |db: Database| async move {
        let store = store(db).await;
        room_with(&store, "!old:hs", "@creator:hs", &["@a:hs", "@b:hs"]).await;
        let evacuator = evacuator(&store);
        let deletion = evacuator
            .plan_deletion(
                &DeleteOptions {
                    purge: false,
                    new_room_user_id: Some(OwnedUserId::try_from("@creator:hs").expect("user")),
                    ..options("!old:hs")
                },
                &HashMap::new(),
            )
            .await
            .expect("plan");
        let new_room = deletion.new_room_id.clone().expect("new room");
        let job_id = deletion.job.job_id;
        assert_eq!(deletion.job.total, 3);
        for chunk in 0..2 {
            evacuator.apply_chunk(&job_id, chunk).await.expect("leave");
            evacuator.apply_chunk(&job_id, chunk).await.expect("replay");
        }
        let mut conn = store.conn().await.expect("conn");
        let events =
            store::events_between(&mut conn, &new_room, 0, i64::MAX, 1000, store::Dir::Forward)
                .await
                .expect("events");
        drop(conn);
        for user in ["@creator:hs", "@a:hs", "@b:hs"] {
            assert_eq!(
                membership(&store, "!old:hs", user).await.as_deref(),
                Some("leave")
            );
            assert_eq!(
                membership(&store, &new_room, user).await.as_deref(),
                Some("join")
            );
            let joins = events
                .iter()
                .filter(|e| e.event_type == "m.room.member" && e.state_key.as_deref() == Some(user))
                .count();
            assert_eq!(joins, 1, "{user} joined once");
        }
        let job = evacuator
            .deletion(&job_id)
            .await
            .expect("read")
            .expect("known")
            .job;
        assert_eq!(job.status, JobStatus::Complete);
        // Not purged.
        assert!(rows_left(&store, "!old:hs").await > 0);
    }
);

test_on_both_backends!(
    a_blocked_room_refuses_joins_and_invites,
    |db: Database| async move {
        let store = store(db).await;
        room_with(&store, "!r:hs", "@creator:hs", &[]).await;
        let evacuator = evacuator(&store);
        let admin = OwnedUserId::try_from("@admin:hs").expect("user");
        let room = OwnedRoomId::try_from("!r:hs").expect("room");
        evacuator
            .set_room_block(&room, true, &admin)
            .await
            .expect("block");
        assert_eq!(
            evacuator
                .room_blocked_by(&room)
                .await
                .expect("read")
                .as_deref(),
            Some("@admin:hs")
        );
        let notifier = SyncNotifier::start(ReplicaBus::in_process(), CancellationToken::new());
        let rooms = RoomsService::new(store.clone(), notifier, HS);
        let join = pb::JoinRoomRequest {
            room_id: "!r:hs".into(),
            user_id: "@a:hs".into(),
            ..Default::default()
        };
        let refused = rooms
            .join_room(join.clone())
            .await
            .map_err(|e| e.to_matrix());
        assert!(
            matches!(&refused, Err(e) if e.status == 403 && e.message == "This room has been blocked on this server"),
            "{refused:?}"
        );
        let invite = pb::InviteUserRequest {
            room_id: "!r:hs".into(),
            sender: "@creator:hs".into(),
            target: "@b:hs".into(),
            ..Default::default()
        };
        assert!(rooms.invite_user(invite.clone()).await.is_err());
        evacuator
            .set_room_block(&room, false, &admin)
            .await
            .expect("unblock");
        rooms.join_room(join).await.expect("joins once unblocked");
        rooms
            .invite_user(invite)
            .await
            .expect("invites once unblocked");
    }
);

test_on_both_backends!(
    the_purge_list_covers_every_table_with_a_room_id,
    |db: Database| async move {
        let store = store(db).await;
        let tables: Vec<String> = if store.db().backend == Backend::Postgres {
            sqlx::query_scalar(
                "SELECT table_name::text FROM information_schema.columns \
                 WHERE column_name = 'room_id' AND table_schema = current_schema() \
                 AND table_name LIKE 'membership_%'",
            )
            .fetch_all(&store.db().pool)
            .await
            .expect("tables")
        } else {
            sqlx::query_scalar(
                "SELECT m.name FROM sqlite_master m, pragma_table_info(m.name) c \
                 WHERE m.type = 'table' AND c.name = 'room_id' AND m.name LIKE 'membership_%'",
            )
            .fetch_all(&store.db().pool)
            .await
            .expect("tables")
        };
        assert!(tables.len() >= purge::ROOM_TABLES.len(), "{tables:?}");
        for table in tables {
            assert!(
                purge::ROOM_TABLES.iter().any(|t| t.name == table)
                    || purge::KEPT_ON_PURGE.contains(&table.as_str()),
                "{table} has a room_id column but is neither purged nor kept on purpose \
                 (membership-svc/src/store/purge.rs)"
            );
        }
    }
);
