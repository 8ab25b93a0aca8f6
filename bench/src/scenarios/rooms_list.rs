//! `rooms-list`: the Synapse rooms list (`GET /_synapse/admin/v1/rooms`,
//! `order_by=joined_members`) over 20,000 rooms.
//!
//! The list reads `membership_rooms` joined to `membership_room_stats` and nothing
//! else, so preparation writes those two rows per room straight into the deployment's
//! database (multi-row inserts, 1,000 rooms per transaction), as membership-svc's writes
//! would leave them: creating 20,000 rooms with members through the API would cost
//! minutes of event appends per deployment and measure nothing more. Room IDs are fixed
//! (`!listroom000000:bench.test` …), so re-preparing in the same deployment inserts
//! nothing. `joined_members` is spread from 0 to 999 (many ties, as real servers have).
//!
//! Pages are spread over the whole range like the users list: the `n`th operation asks
//! for page `n × 7,919 mod 200` of 100 rooms.

use std::sync::atomic::{AtomicUsize, Ordering};

use anyhow::Context as _;
use http::StatusCode;
use sqlx::AssertSqlSafe;

use bailiff_database::Database;
use bailiff_domain::now_ms;

use super::{Context, Outcome, Scenario};
use crate::cluster::SERVER_NAME;
use crate::http::Http;

/// Rooms in the list.
pub const LIST_ROOMS: usize = 20_000;
/// Page size (Synapse's default).
const PAGE: usize = 100;
/// Rooms per transaction; 5 parameters a row keeps a statement far below both limits.
const SEED_BATCH: usize = 1_000;
const STRIDE: usize = 7_919;

pub struct RoomsList {
    admin_token: String,
    next: AtomicUsize,
}

fn placeholders(rows: usize, width: usize) -> String {
    (0..rows)
        .map(|r| {
            let cells: Vec<String> = (0..width)
                .map(|c| format!("${}", r * width + c + 1))
                .collect();
            format!("({})", cells.join(", "))
        })
        .collect::<Vec<_>>()
        .join(", ")
}

async fn seed_rooms(ctx: &Context<'_>) -> anyhow::Result<()> {
    let started = std::time::Instant::now();
    let db = Database::connect(ctx.database_url, 2)
        .await
        .with_context(|| format!("connecting to {}", ctx.database_url))?;
    let created = now_ms();
    let ids: Vec<usize> = (0..LIST_ROOMS).collect();
    for batch in ids.chunks(SEED_BATCH) {
        let mut tx = db.pool.begin().await?;
        // Statements of at most 200 rows (5 parameters each).
        for rows in batch.chunks(200) {
            let sql = format!(
                "INSERT INTO membership_rooms (room_id, creator, created_ts, room_version, is_public) \
                 VALUES {} ON CONFLICT (room_id) DO NOTHING",
                placeholders(rows.len(), 5)
            );
            let mut query = sqlx::query(AssertSqlSafe(sql));
            for n in rows {
                query = query
                    .bind(room_id(*n))
                    .bind(format!("@listuser_{:06}:{SERVER_NAME}", n % 1_000))
                    .bind(created)
                    .bind("10")
                    .bind(i64::from(n % 10 == 0));
            }
            query.execute(&mut *tx).await.context("seeding rooms")?;
            let sql = format!(
                "INSERT INTO membership_room_stats \
                 (room_id, name, joined_members, joined_local_members, state_events) \
                 VALUES {} ON CONFLICT (room_id) DO NOTHING",
                placeholders(rows.len(), 5)
            );
            let mut query = sqlx::query(AssertSqlSafe(sql));
            for n in rows {
                // A scrambled member count in 0..1000, the same for every run.
                let members = (n * 7_919 + 13) % 1_000;
                query = query
                    .bind(room_id(*n))
                    .bind(format!("Bench room {n:06}"))
                    .bind(members as i64)
                    .bind(members as i64)
                    .bind(members as i64 + 6);
            }
            query
                .execute(&mut *tx)
                .await
                .context("seeding room statistics")?;
        }
        tx.commit().await?;
    }
    eprintln!(
        "  seeded {LIST_ROOMS} rooms (rooms and statistics rows) in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

fn room_id(n: usize) -> String {
    format!("!listroom{n:06}:{SERVER_NAME}")
}

#[async_trait::async_trait]
impl Scenario for RoomsList {
    async fn prepare(ctx: &Context<'_>) -> anyhow::Result<Self> {
        seed_rooms(ctx).await?;
        Ok(Self {
            admin_token: ctx.admin.access_token.clone(),
            next: AtomicUsize::new(0),
        })
    }

    async fn one_request(&self, http: &Http, _worker: usize, _seq: u64) -> anyhow::Result<Outcome> {
        let n = self.next.fetch_add(1, Ordering::Relaxed);
        let from = (n * STRIDE % (LIST_ROOMS / PAGE)) * PAGE;
        let path =
            format!("/_synapse/admin/v1/rooms?order_by=joined_members&from={from}&limit={PAGE}");
        let reply = http.get(&path, Some(&self.admin_token)).await?;
        Ok(Outcome::of(reply.status, StatusCode::OK))
    }
}
