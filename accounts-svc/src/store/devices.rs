//! Devices as the admin API shows them: each with its newest connection (whois rows),
//! renamed, created without a token, deleted with their tokens.

use bailiff_domain::{DeviceId, OwnedDeviceId, UserId};

use super::Store;

/// A device with where it was last seen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceRecord {
    /// The device.
    pub device_id: OwnedDeviceId,
    /// Its name, if any.
    pub display_name: Option<String>,
    /// IP of the newest connection.
    pub last_seen_ip: Option<String>,
    /// User agent of the newest connection.
    pub last_seen_user_agent: Option<String>,
    /// ms since the epoch of the newest connection.
    pub last_seen_ts: Option<i64>,
}

#[derive(sqlx::FromRow)]
struct DeviceRow {
    device_id: String,
    display_name: Option<String>,
    ip: Option<String>,
    user_agent: Option<String>,
    last_seen: Option<i64>,
}

impl From<DeviceRow> for DeviceRecord {
    fn from(row: DeviceRow) -> Self {
        Self {
            device_id: row.device_id.into(),
            display_name: row.display_name,
            last_seen_ip: row.ip,
            last_seen_user_agent: row.user_agent,
            last_seen_ts: row.last_seen,
        }
    }
}

/// The user's devices joined with their newest connection; `$2` narrows to one device
/// when not NULL. The window function runs over one user's connection rows only
/// (primary key prefix).
const DEVICES_SQL: &str = "SELECT d.device_id, d.display_name, c.ip, c.user_agent, c.last_seen \
     FROM accounts_devices d LEFT JOIN ( \
        SELECT device_id, ip, user_agent, last_seen, \
               ROW_NUMBER() OVER (PARTITION BY device_id ORDER BY last_seen DESC, ip) AS rn \
        FROM accounts_connections WHERE user_id = $1 \
     ) c ON c.device_id = d.device_id AND c.rn = 1 \
     WHERE d.user_id = $1 AND ($2 IS NULL OR d.device_id = $2) \
     ORDER BY d.device_id";

impl Store {
    /// Every device of the user, by device ID.
    pub async fn devices(&self, user_id: &UserId) -> Result<Vec<DeviceRecord>, sqlx::Error> {
        let rows: Vec<DeviceRow> = sqlx::query_as(DEVICES_SQL)
            .bind(user_id.as_str())
            .bind(None::<String>)
            .fetch_all(&self.db.pool)
            .await?;
        Ok(rows.into_iter().map(DeviceRecord::from).collect())
    }

    /// One device, or `None`.
    pub async fn device(
        &self,
        user_id: &UserId,
        device_id: &DeviceId,
    ) -> Result<Option<DeviceRecord>, sqlx::Error> {
        let row: Option<DeviceRow> = sqlx::query_as(DEVICES_SQL)
            .bind(user_id.as_str())
            .bind(Some(device_id.as_str()))
            .fetch_optional(&self.db.pool)
            .await?;
        Ok(row.map(DeviceRecord::from))
    }

    /// Renames a device. `Ok(false)` when there is no such device.
    pub async fn rename_device(
        &self,
        user_id: &UserId,
        device_id: &DeviceId,
        display_name: Option<&str>,
    ) -> Result<bool, sqlx::Error> {
        let updated = sqlx::query(
            "UPDATE accounts_devices SET display_name = $3 WHERE user_id = $1 AND device_id = $2",
        )
        .bind(user_id.as_str())
        .bind(device_id.as_str())
        .bind(display_name)
        .execute(&self.db.pool)
        .await?
        .rows_affected();
        Ok(updated > 0)
    }

    /// Creates a device without a token (Synapse's admin `POST …/devices`); an existing
    /// one is left as it is.
    pub async fn create_device(
        &self,
        user_id: &UserId,
        device_id: &DeviceId,
        now_ms: i64,
    ) -> Result<(), sqlx::Error> {
        sqlx::query(
            "INSERT INTO accounts_devices (user_id, device_id, display_name, created_ts) \
             VALUES ($1, $2, NULL, $3) ON CONFLICT (user_id, device_id) DO NOTHING",
        )
        .bind(user_id.as_str())
        .bind(device_id.as_str())
        .bind(now_ms)
        .execute(&self.db.pool)
        .await?;
        Ok(())
    }

    /// Deletes devices with their tokens and connection rows, in one transaction; unknown
    /// device IDs are not an error. Returns how many devices went.
    pub async fn delete_devices(
        &self,
        user_id: &UserId,
        device_ids: &[OwnedDeviceId],
    ) -> Result<u64, sqlx::Error> {
        let mut tx = self.db.begin_write().await?;
        let mut deleted = 0;
        for device_id in device_ids {
            for table in ["accounts_tokens", "accounts_connections"] {
                let sql = format!("DELETE FROM {table} WHERE user_id = $1 AND device_id = $2");
                sqlx::query(sqlx::AssertSqlSafe(sql))
                    .bind(user_id.as_str())
                    .bind(device_id.as_str())
                    .execute(&mut *tx)
                    .await?;
            }
            deleted +=
                sqlx::query("DELETE FROM accounts_devices WHERE user_id = $1 AND device_id = $2")
                    .bind(user_id.as_str())
                    .bind(device_id.as_str())
                    .execute(&mut *tx)
                    .await?
                    .rows_affected();
        }
        tx.commit().await?;
        Ok(deleted)
    }
}
