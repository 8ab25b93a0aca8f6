//! Fault test of room deletion (a module of `tests/faults.rs`, on its cluster): a v2
//! delete with purge of a room of 5,000 members and 60,000 messages survives a SIGKILL
//! of the membership process whose delivery of the purge chunk is in flight. The other
//! process reclaims the delivery (XAUTOCLAIM) and continues from the rows left, and the
//! job completes with every member counted once and no row of the room left.

use std::time::{Duration, Instant};

use membership_svc::store::{self, NewEvent, purge};
use redis::AsyncCommands;
use redis::streams::StreamPendingReply;
use reqwest::StatusCode;
use serde_json::json;

use super::{Cluster, bounded};

/// Messages seeded into the room, so the purge takes many steps.
const MESSAGES: usize = 60_000;

impl Cluster {
    async fn seed_messages(&self, room_id: &str, sender: &str) {
        let store = store::Store::new(self.database().await);
        let content = json!({"msgtype": "m.text", "body": "filler"}).to_string();
        for _ in 0..MESSAGES / 5_000 {
            let events: Vec<NewEvent> = (0..5_000)
                .map(|_| NewEvent::message("m.room.message", sender, content.clone()))
                .collect();
            let mut tx = store
                .begin_write()
                .await
                .unwrap_or_else(|e| panic!("begin: {e}"));
            store::append_events(&mut tx, room_id, &events, bailiff_domain::now_ms())
                .await
                .unwrap_or_else(|e| panic!("seed messages: {e}"));
            tx.commit().await.unwrap_or_else(|e| panic!("commit: {e}"));
        }
    }

    /// (rows purged so far, job status) of a deletion, read in the database.
    async fn deletion_progress(&self, job_id: &str) -> (i64, String) {
        let db = self.database().await;
        sqlx::query_as(
            "SELECT d.purged_rows, j.status FROM membership_room_deletions d \
             JOIN membership_evac_jobs j ON j.job_id = d.job_id WHERE d.job_id = $1",
        )
        .bind(job_id)
        .fetch_one(&db.pool)
        .await
        .unwrap_or_else(|e| panic!("progress: {e}"))
    }

    /// The process IDs of the queue consumers holding an entry right now.
    async fn holders(&self) -> Vec<u32> {
        let client = redis::Client::open(self.redis.url()).unwrap_or_else(|e| panic!("{e}"));
        let mut con = client
            .get_multiplexed_async_connection()
            .await
            .unwrap_or_else(|e| panic!("redis: {e}"));
        let reply: StreamPendingReply = con
            .xpending("faults:jobs:evacuation", "workers")
            .await
            .unwrap_or_else(|e| panic!("xpending: {e}"));
        match reply {
            StreamPendingReply::Data(data) => data
                .consumers
                .iter()
                .filter(|c| c.pending > 0)
                // Consumer names are `host-pid-uuid` (job_queue::unique_consumer_name).
                .filter_map(|c| c.name.rsplit('-').nth(1)?.parse().ok())
                .collect(),
            // Empty, or a shape this redis version does not know: no holder found.
            _ => Vec::new(),
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_room_purge_survives_a_sigkill_of_the_worker_holding_it() {
    bounded(async {
        let mut cluster = Cluster::start().await;
        let token = cluster.admin_token().await;
        let (room_id, users) = cluster.seed_room().await;
        cluster.seed_messages(&room_id, &users[0]).await;
        let (status, body) = cluster
            .gateway
            .call(
                reqwest::Method::DELETE,
                &format!("/_synapse/admin/v2/rooms/{room_id}"),
                Some(&token),
                Some(json!({})),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "delete: {body}");
        let job_id = body["delete_id"].as_str().unwrap_or_default().to_owned();

        // Mid-purge: some rows gone, the job not finished, and a worker holding the
        // purge chunk's delivery.
        let deadline = Instant::now() + Duration::from_secs(60);
        let victim = loop {
            let (purged, status) = cluster.deletion_progress(&job_id).await;
            assert!(
                status != "complete" && status != "failed",
                "finished before the fault"
            );
            if purged > 0 {
                let holders = cluster.holders().await;
                let victim = ["membership-a", "membership-b"]
                    .into_iter()
                    .find(|name| holders.contains(&cluster.process(name).pid()));
                if let Some(victim) = victim {
                    break victim;
                }
            }
            assert!(
                Instant::now() < deadline,
                "no purge in flight\n{}",
                cluster.logs()
            );
            tokio::time::sleep(Duration::from_millis(5)).await;
        };
        cluster.process(victim).kill();

        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let (_, status) = cluster.deletion_progress(&job_id).await;
            if status == "complete" {
                break;
            }
            assert_ne!(status, "failed", "{}", cluster.logs());
            assert!(
                Instant::now() < deadline,
                "the purge did not finish\n{}",
                cluster.logs()
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let db = cluster.database().await;
        let (total, done, failed): (i64, i64, i64) = sqlx::query_as(
            "SELECT total, done, failed FROM membership_evac_jobs WHERE job_id = $1",
        )
        .bind(&job_id)
        .fetch_one(&db.pool)
        .await
        .unwrap_or_else(|e| panic!("job: {e}"));
        let members = i64::try_from(users.len()).unwrap_or(i64::MAX);
        // Every member counted once, plus the purge chunk.
        assert_eq!((total, done, failed), (members + 1, members + 1, 0));
        let mut conn = db
            .pool
            .acquire()
            .await
            .unwrap_or_else(|e| panic!("conn: {e}"));
        let left: Vec<_> = purge::room_row_counts(&mut conn, &room_id)
            .await
            .unwrap_or_else(|e| panic!("counts: {e}"))
            .into_iter()
            .filter(|(_, count)| *count > 0)
            .collect();
        assert!(left.is_empty(), "rows left: {left:?}");
    })
    .await;
}
