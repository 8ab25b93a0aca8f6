//! PUT transactions: the first response per (admin, device, txnId). A row with
//! `event_id IS NULL` is a claim: the first request is still executing.

use bailiff_domain::{OwnedDeviceId, OwnedEventId, OwnedRoomId, OwnedUserId};

use super::{NoticeStore, corrupt};

/// Identifies a PUT transaction: admin user, admin device, client txnId.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct TxnKey {
    /// The admin who sent the PUT.
    pub user_id: OwnedUserId,
    /// The admin's device (the token's).
    pub device_id: OwnedDeviceId,
    /// The client's transaction ID, opaque.
    pub txn_id: String,
}

/// The stored first response of a transaction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TxnResponse {
    /// The notice's event.
    pub event_id: OwnedEventId,
    /// The notice room it was sent to.
    pub room_id: OwnedRoomId,
}

/// Outcome of trying to claim a transaction key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TxnClaim {
    /// The first request finished: its response.
    Done(TxnResponse),
    /// This caller holds the claim and must execute the request.
    Claimed,
    /// The first request is still in flight: wait for it.
    Busy,
}

/// State of a transaction key as a reader sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TxnState {
    /// Never claimed, released, or pruned.
    Absent,
    /// Finished: the first response.
    Done(TxnResponse),
    /// In flight since `claimed_ts`.
    Pending {
        /// When the current claim was taken, in ms since the epoch.
        claimed_ts: i64,
    },
}

#[derive(sqlx::FromRow)]
struct TxnRow {
    event_id: Option<String>,
    room_id: Option<String>,
    claimed_ts: i64,
    claim_token: String,
}

impl TxnRow {
    /// The stored response, or `None` while the row is only a claim. Both columns are
    /// written together, so an event without a room is a corrupt row.
    fn response(&self) -> Result<Option<TxnResponse>, sqlx::Error> {
        let Some(event_id) = self.event_id.as_deref() else {
            return Ok(None);
        };
        let room_id = self
            .room_id
            .as_deref()
            .ok_or_else(|| sqlx::Error::Decode("transaction event without a room".into()))?;
        Ok(Some(TxnResponse {
            event_id: OwnedEventId::try_from(event_id).map_err(corrupt)?,
            room_id: OwnedRoomId::try_from(room_id).map_err(corrupt)?,
        }))
    }
}

impl NoticeStore {
    /// Claims a transaction key with `token`, or reports the stored response, or that the
    /// first request is in flight. A claim older than `stale_before` is taken over.
    pub async fn claim_txn(
        &self,
        key: &TxnKey,
        token: &str,
        now: i64,
        stale_before: i64,
    ) -> Result<TxnClaim, sqlx::Error> {
        let inserted = sqlx::query(
            "INSERT INTO notices_txns (user_id, device_id, txn_id, claim_token, claimed_ts, created_ts) \
             VALUES ($1, $2, $3, $4, $5, $5) ON CONFLICT (user_id, device_id, txn_id) DO NOTHING",
        )
        .bind(key.user_id.as_str())
        .bind(key.device_id.as_str())
        .bind(&key.txn_id)
        .bind(token)
        .bind(now)
        .execute(&self.db.pool)
        .await?
        .rows_affected();
        if inserted == 1 {
            return Ok(TxnClaim::Claimed);
        }
        let Some(row) = self.txn_row(key).await? else {
            return Ok(TxnClaim::Busy);
        };
        if let Some(response) = row.response()? {
            return Ok(TxnClaim::Done(response));
        }
        if row.claimed_ts >= stale_before {
            return Ok(TxnClaim::Busy);
        }
        let taken = sqlx::query(
            "UPDATE notices_txns SET claim_token = $1, claimed_ts = $2 \
             WHERE user_id = $3 AND device_id = $4 AND txn_id = $5 \
             AND claim_token = $6 AND event_id IS NULL",
        )
        .bind(token)
        .bind(now)
        .bind(key.user_id.as_str())
        .bind(key.device_id.as_str())
        .bind(&key.txn_id)
        .bind(row.claim_token)
        .execute(&self.db.pool)
        .await?
        .rows_affected();
        Ok(if taken == 1 {
            TxnClaim::Claimed
        } else {
            TxnClaim::Busy
        })
    }

    async fn txn_row(&self, key: &TxnKey) -> Result<Option<TxnRow>, sqlx::Error> {
        sqlx::query_as(
            "SELECT event_id, room_id, claimed_ts, claim_token FROM notices_txns \
             WHERE user_id = $1 AND device_id = $2 AND txn_id = $3",
        )
        .bind(key.user_id.as_str())
        .bind(key.device_id.as_str())
        .bind(&key.txn_id)
        .fetch_optional(&self.db.pool)
        .await
    }

    /// What a reader sees for a key.
    pub async fn txn_state(&self, key: &TxnKey) -> Result<TxnState, sqlx::Error> {
        let Some(row) = self.txn_row(key).await? else {
            return Ok(TxnState::Absent);
        };
        Ok(match row.response()? {
            Some(response) => TxnState::Done(response),
            None => TxnState::Pending {
                claimed_ts: row.claimed_ts,
            },
        })
    }

    /// Stores the first response under `token`'s claim. False when the claim was lost.
    pub async fn complete_txn(
        &self,
        key: &TxnKey,
        token: &str,
        response: &TxnResponse,
    ) -> Result<bool, sqlx::Error> {
        let updated = sqlx::query(
            "UPDATE notices_txns SET event_id = $1, room_id = $2 \
             WHERE user_id = $3 AND device_id = $4 AND txn_id = $5 \
             AND claim_token = $6 AND event_id IS NULL",
        )
        .bind(response.event_id.as_str())
        .bind(response.room_id.as_str())
        .bind(key.user_id.as_str())
        .bind(key.device_id.as_str())
        .bind(&key.txn_id)
        .bind(token)
        .execute(&self.db.pool)
        .await?
        .rows_affected();
        Ok(updated == 1)
    }

    /// Drops a claim whose request failed, so a retry executes afresh.
    pub async fn release_txn(&self, key: &TxnKey, token: &str) -> Result<(), sqlx::Error> {
        sqlx::query(
            "DELETE FROM notices_txns WHERE user_id = $1 AND device_id = $2 AND txn_id = $3 \
             AND claim_token = $4 AND event_id IS NULL",
        )
        .bind(key.user_id.as_str())
        .bind(key.device_id.as_str())
        .bind(&key.txn_id)
        .bind(token)
        .execute(&self.db.pool)
        .await?;
        Ok(())
    }

    /// Deletes transactions created before `before`; returns how many.
    pub async fn prune_txns(&self, before: i64) -> Result<u64, sqlx::Error> {
        Ok(
            sqlx::query("DELETE FROM notices_txns WHERE created_ts < $1")
                .bind(before)
                .execute(&self.db.pool)
                .await?
                .rows_affected(),
        )
    }
}
