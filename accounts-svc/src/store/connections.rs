//! Client connections for whois: one row per (user, device, IP, user agent) holding the
//! latest time it was seen.

use std::collections::BTreeMap;

use bailiff_domain::{OwnedDeviceId, OwnedUserId, UserId};
use sqlx::AssertSqlSafe;

use super::{Store, placeholders};

/// Connections returned per device; whois shows at most this many.
pub const WHOIS_CONNECTIONS_PER_DEVICE: i64 = 50;

/// Rows per multi-row upsert: 5 parameters each keeps a statement well under SQLite's
/// and PostgreSQL's parameter limits.
const ROWS_PER_STATEMENT: usize = 200;

/// One sighting reported by a gateway.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sighting {
    /// Owner of the token used.
    pub user_id: OwnedUserId,
    /// Device of the token used.
    pub device_id: OwnedDeviceId,
    /// Client IP as the gateway resolved it (peer or first untrusted forwarded hop).
    pub ip: String,
    /// `User-Agent` header, empty when absent.
    pub user_agent: String,
    /// When the request was seen, in ms since the epoch.
    pub last_seen_ms: i64,
}

/// One distinct (IP, user agent) of a device.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Seen {
    /// Client IP.
    pub ip: String,
    /// Client user agent.
    pub user_agent: String,
    /// Latest sighting of this pair, in ms since the epoch.
    pub last_seen_ms: i64,
}

/// A device's connections, newest first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceSightings {
    /// The device the connections were made with.
    pub device_id: OwnedDeviceId,
    /// Newest first, at most [`WHOIS_CONNECTIONS_PER_DEVICE`].
    pub connections: Vec<Seen>,
}

#[derive(sqlx::FromRow)]
struct SeenRow {
    device_id: String,
    ip: String,
    user_agent: String,
    last_seen: i64,
}

impl Store {
    /// Upserts a batch in one transaction, keeping the newest `last_seen` per key.
    ///
    /// The batch is deduplicated and sorted first: PostgreSQL refuses an `ON CONFLICT DO
    /// UPDATE` that touches a row twice in one statement, and a fixed key order keeps
    /// concurrent batches from several gateways from deadlocking on each other's rows.
    pub async fn record_connections(&self, sightings: &[Sighting]) -> Result<(), sqlx::Error> {
        let mut newest: BTreeMap<(&str, &str, &str, &str), i64> = BTreeMap::new();
        for s in sightings {
            let key = (
                s.user_id.as_str(),
                s.device_id.as_str(),
                s.ip.as_str(),
                s.user_agent.as_str(),
            );
            let seen = newest.entry(key).or_insert(s.last_seen_ms);
            *seen = (*seen).max(s.last_seen_ms);
        }
        if newest.is_empty() {
            return Ok(());
        }
        let rows: Vec<_> = newest.into_iter().collect();
        let mut tx = self.db.begin_write().await?;
        for chunk in rows.chunks(ROWS_PER_STATEMENT) {
            let values = (0..chunk.len())
                .map(|i| format!("({})", placeholders(i * 5 + 1, 5)))
                .collect::<Vec<_>>()
                .join(", ");
            let sql = format!(
                "INSERT INTO accounts_connections (user_id, device_id, ip, user_agent, last_seen) \
                 VALUES {values} \
                 ON CONFLICT (user_id, device_id, ip, user_agent) \
                 DO UPDATE SET last_seen = excluded.last_seen \
                 WHERE excluded.last_seen > accounts_connections.last_seen"
            );
            let mut query = sqlx::query(AssertSqlSafe(sql));
            for ((user_id, device_id, ip, user_agent), last_seen) in chunk {
                query = query
                    .bind(*user_id)
                    .bind(*device_id)
                    .bind(*ip)
                    .bind(*user_agent)
                    .bind(*last_seen);
            }
            query.execute(&mut *tx).await?;
        }
        // The users list sorts by `last_seen_ts` without a join: keep the user row's
        // copy at the newest sighting. Sorted by user like the rows above.
        let mut users: BTreeMap<&str, i64> = BTreeMap::new();
        for ((user_id, ..), seen) in &rows {
            let newest = users.entry(*user_id).or_insert(*seen);
            *newest = (*newest).max(*seen);
        }
        for (user_id, seen) in users {
            sqlx::query(
                "UPDATE accounts_users SET last_seen_ts = $2 \
                 WHERE user_id = $1 AND (last_seen_ts IS NULL OR last_seen_ts < $2)",
            )
            .bind(user_id)
            .bind(seen)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await
    }

    /// The user's devices with their newest connections (at most
    /// [`WHOIS_CONNECTIONS_PER_DEVICE`] each), the most recently active device first.
    /// An unknown user simply has none.
    pub async fn whois(&self, user_id: &UserId) -> Result<Vec<DeviceSightings>, sqlx::Error> {
        // The window function caps each device in the database, so a device that roamed
        // over thousands of addresses does not ship them all to us.
        let rows: Vec<SeenRow> = sqlx::query_as(
            "SELECT device_id, ip, user_agent, last_seen FROM ( \
                SELECT device_id, ip, user_agent, last_seen, \
                       ROW_NUMBER() OVER ( \
                           PARTITION BY device_id \
                           ORDER BY last_seen DESC, ip, user_agent) AS rn \
                FROM accounts_connections WHERE user_id = $1 \
             ) ranked \
             WHERE rn <= $2 \
             ORDER BY device_id, last_seen DESC, ip, user_agent",
        )
        .bind(user_id.as_str())
        .bind(WHOIS_CONNECTIONS_PER_DEVICE)
        .fetch_all(&self.db.pool)
        .await?;
        let mut devices: Vec<DeviceSightings> = Vec::new();
        for row in rows {
            let seen = Seen {
                ip: row.ip,
                user_agent: row.user_agent,
                last_seen_ms: row.last_seen,
            };
            match devices.last_mut() {
                Some(device) if device.device_id == row.device_id => {
                    device.connections.push(seen);
                }
                _ => devices.push(DeviceSightings {
                    device_id: row.device_id.into(),
                    connections: vec![seen],
                }),
            }
        }
        devices.sort_by(|a, b| {
            let newest = |d: &DeviceSightings| d.connections.first().map(|c| c.last_seen_ms);
            newest(b)
                .cmp(&newest(a))
                .then_with(|| a.device_id.cmp(&b.device_id))
        });
        Ok(devices)
    }
}
