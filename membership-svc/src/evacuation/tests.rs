//! Evacuation store and worker tests, each run against SQLite and PostgreSQL. Workers
//! are driven by hand (`apply_chunk`) where delivery order matters, and through a real
//! in-process queue where it does not.

use std::collections::HashMap;
use std::time::Duration;

use bailiff_database::{Database, test_on_both_backends};
use job_queue::QueueConfig;
use serde_json::{Value, json};

use bailiff_domain::Membership;

use super::fixtures::{self, evacuator, store};
use super::*;
use crate::store::{self, MemberChange, NewEvent, Store};

fn small_chunks() -> Settings {
    Settings {
        chunk_size: 2,
        queue: QueueConfig {
            retry_delay: Duration::from_millis(20),
            ..QueueConfig::default()
        },
        poll_every: Duration::from_millis(50),
        ..Settings::default()
    }
}

/// A room created by `creator`, then one member event per (user, content), in order.
async fn room_with(store: &Store, room_id: &str, creator: &str, members: &[(&str, Value)]) {
    let mut tx = store.begin_write().await.expect("begin");
    let mut events = fixtures::room_opening(&mut tx, room_id, creator).await;
    for (user, content) in members {
        let sender = if content["membership"] == "invite" {
            creator
        } else {
            user
        };
        events.push(NewEvent::state(
            "m.room.member",
            *user,
            sender,
            content.to_string(),
        ));
    }
    store::append_events(&mut tx, room_id, &events, 1)
        .await
        .expect("append");
    tx.commit().await.expect("commit");
}

async fn member_events(store: &Store, room_id: &str, user_id: &str) -> Vec<Value> {
    let mut conn = store.conn().await.expect("conn");
    let events =
        store::events_between(&mut conn, room_id, 0, i64::MAX, 10_000, store::Dir::Forward)
            .await
            .expect("events");
    events
        .into_iter()
        .filter(|e| e.event_type == "m.room.member" && e.state_key.as_deref() == Some(user_id))
        .map(|e| {
            let mut content: Value = serde_json::from_str(&e.content).expect("json");
            content["_sender"] = e.sender.into();
            content
        })
        .collect()
}

async fn membership(store: &Store, room_id: &str, user_id: &str) -> Option<String> {
    let mut conn = store.conn().await.expect("conn");
    store::membership_of(&mut conn, room_id, user_id)
        .await
        .expect("membership")
        .map(|m| m.membership.as_str().to_owned())
}

fn join() -> Value {
    json!({"membership": "join"})
}

fn room(room_id: &str) -> Target {
    Target::Room(room_id.try_into().expect("room ID"))
}

fn user(user_id: &str) -> Target {
    Target::User(user_id.try_into().expect("user ID"))
}

fn no_trace() -> HashMap<String, String> {
    HashMap::new()
}

test_on_both_backends!(
    plans_local_joined_members_in_join_order_and_chunks_them,
    |db: Database| async move {
        let store = store(db).await;
        room_with(
            &store,
            "!r:hs",
            "@creator:hs",
            &[
                ("@b:hs", json!({"membership": "join", "displayname": "Bee"})),
                ("@remote:elsewhere", join()),
                ("@invited:hs", json!({"membership": "invite"})),
                ("@a:hs", join()),
                ("@left:hs", join()),
                ("@c:hs", join()),
            ],
        )
        .await;
        // @left leaves before the evacuation.
        let mut tx = store.begin_write().await.expect("begin");
        store::append_member_events(
            &mut tx,
            "!r:hs",
            &[MemberChange::by_self("@left:hs", Membership::Leave, "{}")],
            2,
        )
        .await
        .expect("leave");
        tx.commit().await.expect("commit");

        let evacuator = evacuator(&store, small_chunks());
        let planned = evacuator
            .plan(&room("!r:hs"), &no_trace())
            .await
            .expect("plan");
        assert!(!planned.existing);
        assert_eq!(planned.affected, ["@creator:hs", "@b:hs", "@a:hs", "@c:hs"]);
        assert_eq!(planned.job.status, "queued");
        assert_eq!(
            (planned.job.total, planned.job.done, planned.job.failed),
            (4, 0, 0)
        );
        assert_eq!(planned.job.kind(), "room");
        assert_eq!(planned.job.finished_ts, None);

        let (job, affected) = evacuator
            .job(&planned.job.job_id)
            .await
            .expect("job")
            .expect("known");
        assert_eq!(job, planned.job);
        assert_eq!(affected, planned.affected);
        // Two chunks of two, in order.
        let mut conn = store.conn().await.expect("conn");
        let chunks: Vec<(i64, String, i64, String)> = sqlx::query_as(
        "SELECT chunk, state, size, items FROM membership_evac_chunks WHERE job_id = $1 ORDER BY chunk",
    )
    .bind(&job.job_id)
    .fetch_all(&mut *conn)
    .await
    .expect("chunks");
        assert_eq!(
            chunks,
            [
                (0, "pending".into(), 2, r#"["@creator:hs","@b:hs"]"#.into()),
                (1, "pending".into(), 2, r#"["@a:hs","@c:hs"]"#.into()),
            ]
        );

        // Unknown room: 404 with the pinned text, and no job.
        match evacuator
            .plan(&room("!nope:hs"), &no_trace())
            .await
            .map_err(|e| e.to_matrix())
        {
            Err(error) => {
                assert_eq!(
                    (error.status, error.message.as_str()),
                    (404, "room does not exist")
                );
            }
            other => panic!("expected 404, got {other:?}"),
        }
    }
);

test_on_both_backends!(
    applying_a_chunk_twice_changes_nothing_the_second_time,
    |db: Database| async move {
        let store = store(db).await;
        room_with(
            &store,
            "!r:hs",
            "@creator:hs",
            &[
                (
                    "@a:hs",
                    json!({"membership": "join", "displayname": "Ay", "avatar_url": "mxc://hs/a"}),
                ),
                ("@remote:elsewhere", join()),
                ("@b:hs", join()),
            ],
        )
        .await;
        let evacuator = evacuator(&store, small_chunks());
        let planned = evacuator
            .plan(&room("!r:hs"), &no_trace())
            .await
            .expect("plan");
        let job_id = planned.job.job_id.clone();
        assert_eq!(planned.affected, ["@creator:hs", "@a:hs", "@b:hs"]);

        let first = evacuator.apply_chunk(&job_id, 0).await.expect("apply");
        match &first {
            Applied::Done { events, job } => {
                assert_eq!(*events, 2);
                assert_eq!(
                    (job.status.as_str(), job.done, job.failed),
                    ("running", 2, 0)
                );
            }
            other => panic!("expected Done, got {other:?}"),
        }
        // Redelivery of the same chunk: nothing happens, nothing is counted.
        assert_eq!(
            evacuator.apply_chunk(&job_id, 0).await.expect("again"),
            Applied::AlreadySettled
        );
        let Applied::Done { events: 1, job } =
            evacuator.apply_chunk(&job_id, 1).await.expect("apply 1")
        else {
            panic!("chunk 1 should apply one leave");
        };
        assert_eq!(
            (job.status.as_str(), job.done, job.failed, job.total),
            ("complete", 3, 0, 3)
        );
        assert!(job.finished_ts.is_some());
        assert_eq!(
            evacuator.apply_chunk(&job_id, 1).await.expect("again"),
            Applied::AlreadySettled
        );
        assert_eq!(
            evacuator.apply_chunk(&job_id, 7).await.expect("unknown"),
            Applied::AlreadySettled
        );
        let (job, _) = evacuator.job(&job_id).await.expect("job").expect("known");
        assert_eq!((job.done, job.failed), (3, 0));

        // Exactly one leave per user; self-sent; prior content kept.
        let a = member_events(&store, "!r:hs", "@a:hs").await;
        assert_eq!(
            a,
            [
                json!({"membership": "join", "displayname": "Ay", "avatar_url": "mxc://hs/a", "_sender": "@a:hs"}),
                json!({"membership": "leave", "displayname": "Ay", "avatar_url": "mxc://hs/a", "_sender": "@a:hs"}),
            ]
        );
        for user in ["@creator:hs", "@b:hs"] {
            let events = member_events(&store, "!r:hs", user).await;
            assert_eq!(
                events.iter().filter(|e| e["membership"] == "leave").count(),
                1,
                "{user}"
            );
            assert_eq!(
                membership(&store, "!r:hs", user).await.as_deref(),
                Some("leave")
            );
        }
        // The remote member is untouched.
        assert_eq!(
            member_events(&store, "!r:hs", "@remote:elsewhere")
                .await
                .len(),
            1
        );
        assert_eq!(
            membership(&store, "!r:hs", "@remote:elsewhere")
                .await
                .as_deref(),
            Some("join")
        );
    }
);

test_on_both_backends!(
    a_user_leaves_joined_rooms_then_rejects_invites,
    |db: Database| async move {
        let store = store(db).await;
        room_with(&store, "!j2:hs", "@o:hs", &[]).await;
        room_with(
            &store,
            "!i1:hs",
            "@o:hs",
            &[("@u:hs", json!({"membership": "invite"}))],
        )
        .await;
        room_with(&store, "!j1:hs", "@o:hs", &[]).await;
        room_with(&store, "!gone:hs", "@o:hs", &[("@u:hs", join())]).await;
        // @u joins !j1 (with a display name), then !j2; leaves !gone.
        let mut tx = store.begin_write().await.expect("begin");
        let joined = json!({"membership": "join", "displayname": "You"}).to_string();
        store::append_member_events(
            &mut tx,
            "!j1:hs",
            &[MemberChange::by_self("@u:hs", Membership::Join, &joined)],
            2,
        )
        .await
        .expect("join");
        store::append_member_events(
            &mut tx,
            "!j2:hs",
            &[MemberChange::by_self("@u:hs", Membership::Join, "{}")],
            2,
        )
        .await
        .expect("join");
        store::append_member_events(
            &mut tx,
            "!gone:hs",
            &[MemberChange::by_self("@u:hs", Membership::Leave, "{}")],
            2,
        )
        .await
        .expect("leave");
        tx.commit().await.expect("commit");

        let evacuator = evacuator(&store, small_chunks());
        let planned = evacuator
            .plan(&user("@u:hs"), &no_trace())
            .await
            .expect("plan");
        assert_eq!(planned.affected, ["!j1:hs", "!j2:hs", "!i1:hs"]);
        assert_eq!(planned.job.kind(), "user");
        for chunk in [0, 1, 0, 1] {
            evacuator
                .apply_chunk(&planned.job.job_id, chunk)
                .await
                .expect("apply");
        }
        let (job, _) = evacuator
            .job(&planned.job.job_id)
            .await
            .expect("job")
            .expect("known");
        assert_eq!(
            (job.status.as_str(), job.done, job.failed),
            ("complete", 3, 0)
        );
        for room in ["!j1:hs", "!j2:hs", "!i1:hs"] {
            let events = member_events(&store, room, "@u:hs").await;
            let leaves: Vec<&Value> = events
                .iter()
                .filter(|e| e["membership"] == "leave")
                .collect();
            assert_eq!(
                leaves,
                [&json!({"membership": "leave", "_sender": "@u:hs"})],
                "{room}"
            );
        }
        // Already left: untouched.
        assert_eq!(member_events(&store, "!gone:hs", "@u:hs").await.len(), 2);

        // An unknown user: a job with nothing to do, complete at once.
        let planned = evacuator
            .plan(&user("@nobody:hs"), &no_trace())
            .await
            .expect("plan");
        assert!(planned.affected.is_empty());
        assert_eq!(
            (planned.job.status.as_str(), planned.job.total),
            ("complete", 0)
        );
        assert!(planned.job.finished_ts.is_some());
    }
);

test_on_both_backends!(
    a_second_evacuation_returns_the_running_job,
    |db: Database| async move {
        let store = store(db).await;
        room_with(&store, "!r:hs", "@creator:hs", &[("@a:hs", join())]).await;
        let evacuator = evacuator(&store, small_chunks());
        let first = evacuator
            .plan(&room("!r:hs"), &no_trace())
            .await
            .expect("plan");
        // Concurrent and sequential repeats all find the same job.
        let (trace, target) = (no_trace(), room("!r:hs"));
        let (second, third) = tokio::join!(
            evacuator.plan(&target, &trace),
            evacuator.plan(&target, &trace),
        );
        for again in [second.expect("second"), third.expect("third")] {
            assert!(again.existing);
            assert_eq!(again.job.job_id, first.job.job_id);
            assert_eq!(again.affected, first.affected);
        }
        // A different target is a different job.
        let other = evacuator
            .plan(&user("@a:hs"), &no_trace())
            .await
            .expect("user job");
        assert_ne!(other.job.job_id, first.job.job_id);
        // Once finished, a new evacuation starts a new job.
        evacuator
            .apply_chunk(&first.job.job_id, 0)
            .await
            .expect("apply");
        let fresh = evacuator
            .plan(&room("!r:hs"), &no_trace())
            .await
            .expect("fresh");
        assert!(!fresh.existing);
        assert_ne!(fresh.job.job_id, first.job.job_id);
        assert!(
            fresh.affected.is_empty(),
            "everyone already left: {:?}",
            fresh.affected
        );
        // The unique index refuses a second active job even without the check.
        let mut conn = store.conn().await.expect("conn");
        let mut duplicate = other.job.clone();
        duplicate.job_id = "another".into();
        assert!(
            !jobs::insert_job(&mut conn, &duplicate)
                .await
                .expect("insert")
        );
    }
);

test_on_both_backends!(
    dead_lettered_chunks_count_as_failed,
    |db: Database| async move {
        let store = store(db).await;
        room_with(
            &store,
            "!r:hs",
            "@creator:hs",
            &[("@a:hs", join()), ("@b:hs", join())],
        )
        .await;
        let evacuator = evacuator(&store, small_chunks());
        let planned = evacuator
            .plan(&room("!r:hs"), &no_trace())
            .await
            .expect("plan");
        let job_id = planned.job.job_id;
        assert!(evacuator.fail_chunk(&job_id, 1).await.expect("fail"));
        assert!(!evacuator.fail_chunk(&job_id, 1).await.expect("fail twice"));
        let (job, _) = evacuator.job(&job_id).await.expect("job").expect("known");
        assert_eq!(
            (job.status.as_str(), job.done, job.failed),
            ("running", 0, 1)
        );
        evacuator.apply_chunk(&job_id, 0).await.expect("apply");
        // A failed chunk is not applied by a late redelivery.
        assert_eq!(
            evacuator.apply_chunk(&job_id, 1).await.expect("late"),
            Applied::AlreadySettled
        );
        let (job, _) = evacuator.job(&job_id).await.expect("job").expect("known");
        assert_eq!(
            (job.status.as_str(), job.done, job.failed, job.total),
            ("failed", 2, 1, 3)
        );
        assert!(job.finished_ts.is_some());
        assert_eq!(
            membership(&store, "!r:hs", "@b:hs").await.as_deref(),
            Some("join")
        );
    }
);

test_on_both_backends!(
    unfinished_jobs_are_replanned_after_a_crash,
    |db: Database| async move {
        let store = store(db).await;
        let members: Vec<(String, Value)> = (0..9).map(|i| (format!("@m{i}:hs"), join())).collect();
        let members: Vec<(&str, Value)> = members
            .iter()
            .map(|(u, c)| (u.as_str(), c.clone()))
            .collect();
        room_with(&store, "!r:hs", "@creator:hs", &members).await;

        // The first process plans, applies one chunk, and dies with the rest queued in
        // memory (its workers never ran).
        let crashed = evacuator(&store, small_chunks());
        let planned = crashed
            .plan(&room("!r:hs"), &no_trace())
            .await
            .expect("plan");
        assert_eq!(planned.job.total, 10);
        crashed
            .apply_chunk(&planned.job.job_id, 2)
            .await
            .expect("apply");
        drop(crashed);

        // The next start re-plans: the pending chunks are queued again and applied.
        let restarted = evacuator(&store, small_chunks());
        restarted.spawn_background(&tokio_util::task::TaskTracker::new());
        let job =
            tokio::time::timeout(Duration::from_secs(20), restarted.wait(&planned.job.job_id))
                .await
                .expect("job finishes")
                .expect("wait");
        assert_eq!(
            (job.status.as_str(), job.done, job.failed, job.total),
            ("complete", 10, 0, 10)
        );
        for (user, _) in &members {
            let events = member_events(&store, "!r:hs", user).await;
            assert_eq!(
                events.iter().filter(|e| e["membership"] == "leave").count(),
                1,
                "{user}"
            );
        }
        restarted.inner.shutdown.cancel();
    }
);

test_on_both_backends!(
    the_sweeper_requeues_chunks_pending_too_long,
    |db: Database| async move {
        let store = store(db).await;
        room_with(
            &store,
            "!r:hs",
            "@creator:hs",
            &[("@a:hs", join()), ("@b:hs", join())],
        )
        .await;
        let settings = Settings {
            stale_after: Duration::from_millis(200),
            ..small_chunks()
        };
        // Planned by a process whose queue lost the chunks.
        let planner = evacuator(&store, settings.clone());
        let planned = planner
            .plan(&room("!r:hs"), &no_trace())
            .await
            .expect("plan");
        assert_eq!(
            planner.sweep().await.expect("sweep"),
            0,
            "nothing is stale yet"
        );

        let worker = evacuator(&store, settings);
        let handler: std::sync::Arc<dyn job_queue::ChunkHandler> =
            std::sync::Arc::new(worker.clone());
        worker
            .inner
            .queue
            .run_workers(handler, 1, worker.inner.shutdown.clone());
        tokio::time::sleep(Duration::from_millis(300)).await;
        assert_eq!(worker.sweep().await.expect("sweep"), 2);
        // Claimed: a second sweep right away finds nothing.
        assert_eq!(planner.sweep().await.expect("sweep"), 0);
        let job = tokio::time::timeout(Duration::from_secs(20), planner.wait(&planned.job.job_id))
            .await
            .expect("job finishes")
            .expect("wait");
        assert_eq!((job.status.as_str(), job.done), ("complete", 3));
        worker.inner.shutdown.cancel();
    }
);

test_on_both_backends!(
    waiting_wakes_on_completion_and_unknown_jobs_are_404,
    |db: Database| async move {
        let store = store(db).await;
        room_with(&store, "!r:hs", "@creator:hs", &[("@a:hs", join())]).await;
        let evacuator = evacuator(
            &store,
            Settings {
                poll_every: Duration::from_secs(30),
                ..small_chunks()
            },
        );
        let planned = evacuator
            .plan(&room("!r:hs"), &no_trace())
            .await
            .expect("plan");
        let waiter = {
            let evacuator = evacuator.clone();
            let job_id = planned.job.job_id.clone();
            tokio::spawn(async move { evacuator.wait(&job_id).await })
        };
        tokio::time::sleep(Duration::from_millis(100)).await;
        evacuator
            .apply_chunk(&planned.job.job_id, 0)
            .await
            .expect("apply");
        // Woken by the bus, long before the 30 s poll.
        let job = tokio::time::timeout(Duration::from_secs(5), waiter)
            .await
            .expect("woken")
            .expect("join")
            .expect("wait");
        assert_eq!(job.status, "complete");
        assert!(
            matches!(evacuator.wait("nope").await.map_err(|e| e.to_matrix()), Err(e) if e.status == 404)
        );
        assert!(evacuator.job("nope").await.expect("job").is_none());
    }
);

test_on_both_backends!(
    a_job_whose_kind_does_not_decode_fails_its_chunks_instead_of_counting_them,
    |db: Database| async move {
        let store = store(db).await;
        room_with(
            &store,
            "!r:hs",
            "@creator:hs",
            &[("@a:hs", join()), ("@b:hs", join())],
        )
        .await;
        let evacuator = evacuator(&store, small_chunks());
        let planned = evacuator
            .plan(&room("!r:hs"), &no_trace())
            .await
            .expect("plan");
        let job_id = planned.job.job_id;
        // A kind this build does not know, as a newer version might write.
        sqlx::query("UPDATE membership_evac_jobs SET kind = 'planet' WHERE job_id = $1")
            .bind(&job_id)
            .execute(&store.db().pool)
            .await
            .expect("unknown kind");

        assert_eq!(
            evacuator.apply_chunk(&job_id, 0).await.expect("apply"),
            Applied::Undecodable { size: 2 }
        );
        assert_eq!(
            evacuator.apply_chunk(&job_id, 0).await.expect("again"),
            Applied::AlreadySettled
        );
        assert_eq!(
            evacuator.apply_chunk(&job_id, 1).await.expect("apply 1"),
            Applied::Undecodable { size: 1 }
        );
        // Nobody left, and nothing was counted as done.
        for user in ["@creator:hs", "@a:hs", "@b:hs"] {
            assert_eq!(
                membership(&store, "!r:hs", user).await.as_deref(),
                Some("join")
            );
        }
        let mut conn = store.conn().await.expect("conn");
        let row = jobs::get_job_row(&mut conn, &job_id)
            .await
            .expect("row")
            .expect("known");
        assert_eq!(
            (row.status.as_str(), row.done, row.failed, row.total),
            ("failed", 0, 3, 3)
        );
        assert!(row.finished_ts.is_some());
        // Reading the job is a fault (500 without detail), never a default.
        assert!(matches!(
            evacuator.job(&job_id).await,
            Err(crate::Error::CorruptRow(_))
        ));
    }
);
