//! All SQL of notices-svc: the user → notice room mapping and PUT transactions, each
//! guarded by a claim row (unique key + claim token) so that concurrent requests on any
//! replica agree on one winner. Portable SQL only; one code path for both databases.

use bailiff_database::{Backend, Database};
use sqlx::Row;

/// The notice room recorded for a user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoticeRoom {
    pub room_id: String,
    /// Display name last put in the system user's member event ("" when unknown).
    pub system_displayname: String,
}

/// Outcome of trying to claim the right to create a user's notice room.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RoomClaim {
    /// The room exists already.
    Room(NoticeRoom),
    /// This caller holds the claim and must find or create the room.
    Claimed,
    /// Another request holds a live claim: wait for it.
    Busy,
}

/// Identifies a PUT transaction: admin user, admin device, client txnId.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct TxnKey {
    pub user_id: String,
    pub device_id: String,
    pub txn_id: String,
}

/// The stored first response of a transaction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TxnResponse {
    pub event_id: String,
    pub room_id: String,
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
    Absent,
    Done(TxnResponse),
    /// In flight since `claimed_ts`.
    Pending {
        claimed_ts: i64,
    },
}

/// Entry point to the notices tables; cheap to clone.
#[derive(Debug, Clone)]
pub struct NoticeStore {
    db: Database,
}

impl NoticeStore {
    /// Wraps a pool whose schema has been migrated with [`crate::MIGRATIONS`].
    pub fn new(db: Database) -> Self {
        Self { db }
    }

    /// The database behind the store.
    pub fn backend(&self) -> Backend {
        self.db.backend
    }

    /// The user's notice room, if recorded.
    pub async fn room_of(&self, user_id: &str) -> Result<Option<NoticeRoom>, sqlx::Error> {
        let row = sqlx::query(
            "SELECT room_id, system_displayname FROM notices_rooms \
             WHERE user_id = $1 AND room_id IS NOT NULL",
        )
        .bind(user_id)
        .fetch_optional(&self.db.pool)
        .await?;
        row.map(|row| {
            Ok(NoticeRoom {
                room_id: row.try_get("room_id")?,
                system_displayname: row
                    .try_get::<Option<String>, _>("system_displayname")?
                    .unwrap_or_default(),
            })
        })
        .transpose()
    }

    /// Claims the creation of `user_id`'s room with `token`: inserts the claim row
    /// (unique on the user), or takes over a claim older than `stale_before` whose
    /// holder presumably died.
    pub async fn claim_room(
        &self,
        user_id: &str,
        token: &str,
        now: i64,
        stale_before: i64,
    ) -> Result<RoomClaim, sqlx::Error> {
        let inserted = sqlx::query(
            "INSERT INTO notices_rooms (user_id, room_id, claim_token, claimed_ts) \
             VALUES ($1, NULL, $2, $3) ON CONFLICT (user_id) DO NOTHING",
        )
        .bind(user_id)
        .bind(token)
        .bind(now)
        .execute(&self.db.pool)
        .await?
        .rows_affected();
        if inserted == 1 {
            return Ok(RoomClaim::Claimed);
        }
        let Some(row) = sqlx::query(
            "SELECT room_id, system_displayname, claim_token, claimed_ts FROM notices_rooms \
             WHERE user_id = $1",
        )
        .bind(user_id)
        .fetch_optional(&self.db.pool)
        .await?
        else {
            // Released between our insert and select: try again later.
            return Ok(RoomClaim::Busy);
        };
        if let Some(room_id) = row.try_get::<Option<String>, _>("room_id")? {
            return Ok(RoomClaim::Room(NoticeRoom {
                room_id,
                system_displayname: row
                    .try_get::<Option<String>, _>("system_displayname")?
                    .unwrap_or_default(),
            }));
        }
        let claimed_ts: i64 = row.try_get("claimed_ts")?;
        if claimed_ts >= stale_before {
            return Ok(RoomClaim::Busy);
        }
        let old_token: String = row.try_get("claim_token")?;
        let taken = sqlx::query(
            "UPDATE notices_rooms SET claim_token = $1, claimed_ts = $2 \
             WHERE user_id = $3 AND room_id IS NULL AND claim_token = $4",
        )
        .bind(token)
        .bind(now)
        .bind(user_id)
        .bind(old_token)
        .execute(&self.db.pool)
        .await?
        .rows_affected();
        Ok(if taken == 1 {
            RoomClaim::Claimed
        } else {
            RoomClaim::Busy
        })
    }

    /// Records the room found or created under `token`'s claim. False when the claim
    /// was lost (taken over); the caller then reads the winner's room.
    pub async fn set_room(
        &self,
        user_id: &str,
        token: &str,
        room_id: &str,
        system_displayname: Option<&str>,
    ) -> Result<bool, sqlx::Error> {
        let updated = sqlx::query(
            "UPDATE notices_rooms SET room_id = $1, system_displayname = $2 \
             WHERE user_id = $3 AND claim_token = $4 AND room_id IS NULL",
        )
        .bind(room_id)
        .bind(system_displayname)
        .bind(user_id)
        .bind(token)
        .execute(&self.db.pool)
        .await?
        .rows_affected();
        Ok(updated == 1)
    }

    /// Gives up a creation claim (the attempt failed), so the next request retries.
    pub async fn release_room(&self, user_id: &str, token: &str) -> Result<(), sqlx::Error> {
        sqlx::query(
            "DELETE FROM notices_rooms WHERE user_id = $1 AND claim_token = $2 AND room_id IS NULL",
        )
        .bind(user_id)
        .bind(token)
        .execute(&self.db.pool)
        .await?;
        Ok(())
    }

    /// Remembers the display name now in the system user's member event of the room.
    pub async fn set_system_displayname(
        &self,
        user_id: &str,
        displayname: &str,
    ) -> Result<(), sqlx::Error> {
        sqlx::query("UPDATE notices_rooms SET system_displayname = $1 WHERE user_id = $2")
            .bind(displayname)
            .bind(user_id)
            .execute(&self.db.pool)
            .await?;
        Ok(())
    }

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
        .bind(&key.user_id)
        .bind(&key.device_id)
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
        if let Some(response) = row.0 {
            return Ok(TxnClaim::Done(response));
        }
        let (claimed_ts, old_token) = (row.1, row.2);
        if claimed_ts >= stale_before {
            return Ok(TxnClaim::Busy);
        }
        let taken = sqlx::query(
            "UPDATE notices_txns SET claim_token = $1, claimed_ts = $2 \
             WHERE user_id = $3 AND device_id = $4 AND txn_id = $5 \
             AND claim_token = $6 AND event_id IS NULL",
        )
        .bind(token)
        .bind(now)
        .bind(&key.user_id)
        .bind(&key.device_id)
        .bind(&key.txn_id)
        .bind(old_token)
        .execute(&self.db.pool)
        .await?
        .rows_affected();
        Ok(if taken == 1 {
            TxnClaim::Claimed
        } else {
            TxnClaim::Busy
        })
    }

    async fn txn_row(
        &self,
        key: &TxnKey,
    ) -> Result<Option<(Option<TxnResponse>, i64, String)>, sqlx::Error> {
        let row = sqlx::query(
            "SELECT event_id, room_id, claimed_ts, claim_token FROM notices_txns \
             WHERE user_id = $1 AND device_id = $2 AND txn_id = $3",
        )
        .bind(&key.user_id)
        .bind(&key.device_id)
        .bind(&key.txn_id)
        .fetch_optional(&self.db.pool)
        .await?;
        let Some(row) = row else {
            return Ok(None);
        };
        let response = match row.try_get::<Option<String>, _>("event_id")? {
            Some(event_id) => Some(TxnResponse {
                event_id,
                room_id: row
                    .try_get::<Option<String>, _>("room_id")?
                    .unwrap_or_default(),
            }),
            None => None,
        };
        Ok(Some((
            response,
            row.try_get("claimed_ts")?,
            row.try_get("claim_token")?,
        )))
    }

    /// What a reader sees for a key.
    pub async fn txn_state(&self, key: &TxnKey) -> Result<TxnState, sqlx::Error> {
        Ok(match self.txn_row(key).await? {
            None => TxnState::Absent,
            Some((Some(response), _, _)) => TxnState::Done(response),
            Some((None, claimed_ts, _)) => TxnState::Pending { claimed_ts },
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
        .bind(&response.event_id)
        .bind(&response.room_id)
        .bind(&key.user_id)
        .bind(&key.device_id)
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
        .bind(&key.user_id)
        .bind(&key.device_id)
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
