//! The user → notice room mapping. A row with `room_id IS NULL` is a claim: some request
//! is finding or creating the room right now.

use bailiff_domain::{OwnedRoomId, RoomId, UserId};

use super::{NoticeStore, corrupt};

/// The notice room recorded for a user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoticeRoom {
    /// The room.
    pub room_id: OwnedRoomId,
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

#[derive(sqlx::FromRow)]
struct RoomRow {
    room_id: Option<String>,
    system_displayname: Option<String>,
    claim_token: String,
    claimed_ts: i64,
}

impl RoomRow {
    /// The recorded room, or `None` while the row is only a claim.
    fn room(&self) -> Result<Option<NoticeRoom>, sqlx::Error> {
        self.room_id
            .as_deref()
            .map(|room_id| {
                Ok(NoticeRoom {
                    room_id: OwnedRoomId::try_from(room_id).map_err(corrupt)?,
                    system_displayname: self.system_displayname.clone().unwrap_or_default(),
                })
            })
            .transpose()
    }
}

impl NoticeStore {
    async fn room_row(&self, user_id: &UserId) -> Result<Option<RoomRow>, sqlx::Error> {
        sqlx::query_as(
            "SELECT room_id, system_displayname, claim_token, claimed_ts FROM notices_rooms \
             WHERE user_id = $1",
        )
        .bind(user_id.as_str())
        .fetch_optional(&self.db.pool)
        .await
    }

    /// The user's notice room, if recorded.
    pub async fn room_of(&self, user_id: &UserId) -> Result<Option<NoticeRoom>, sqlx::Error> {
        Ok(match self.room_row(user_id).await? {
            Some(row) => row.room()?,
            None => None,
        })
    }

    /// Claims the creation of `user_id`'s room with `token`: inserts the claim row
    /// (unique on the user), or takes over a claim older than `stale_before` whose
    /// holder presumably died.
    pub async fn claim_room(
        &self,
        user_id: &UserId,
        token: &str,
        now: i64,
        stale_before: i64,
    ) -> Result<RoomClaim, sqlx::Error> {
        let inserted = sqlx::query(
            "INSERT INTO notices_rooms (user_id, room_id, claim_token, claimed_ts) \
             VALUES ($1, NULL, $2, $3) ON CONFLICT (user_id) DO NOTHING",
        )
        .bind(user_id.as_str())
        .bind(token)
        .bind(now)
        .execute(&self.db.pool)
        .await?
        .rows_affected();
        if inserted == 1 {
            return Ok(RoomClaim::Claimed);
        }
        let Some(row) = self.room_row(user_id).await? else {
            // Released between our insert and select: try again later.
            return Ok(RoomClaim::Busy);
        };
        if let Some(room) = row.room()? {
            return Ok(RoomClaim::Room(room));
        }
        if row.claimed_ts >= stale_before {
            return Ok(RoomClaim::Busy);
        }
        let taken = sqlx::query(
            "UPDATE notices_rooms SET claim_token = $1, claimed_ts = $2 \
             WHERE user_id = $3 AND room_id IS NULL AND claim_token = $4",
        )
        .bind(token)
        .bind(now)
        .bind(user_id.as_str())
        .bind(row.claim_token)
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
        user_id: &UserId,
        token: &str,
        room_id: &RoomId,
        system_displayname: Option<&str>,
    ) -> Result<bool, sqlx::Error> {
        let updated = sqlx::query(
            "UPDATE notices_rooms SET room_id = $1, system_displayname = $2 \
             WHERE user_id = $3 AND claim_token = $4 AND room_id IS NULL",
        )
        .bind(room_id.as_str())
        .bind(system_displayname)
        .bind(user_id.as_str())
        .bind(token)
        .execute(&self.db.pool)
        .await?
        .rows_affected();
        Ok(updated == 1)
    }

    /// Forgets the user's notice room when it is still `room_id` (membership-svc no
    /// longer knows it: it was purged), so the next notice creates a new one.
    pub async fn forget_room(&self, user_id: &UserId, room_id: &RoomId) -> Result<(), sqlx::Error> {
        sqlx::query("DELETE FROM notices_rooms WHERE user_id = $1 AND room_id = $2")
            .bind(user_id.as_str())
            .bind(room_id.as_str())
            .execute(&self.db.pool)
            .await?;
        Ok(())
    }

    /// Gives up a creation claim (the attempt failed), so the next request retries.
    pub async fn release_room(&self, user_id: &UserId, token: &str) -> Result<(), sqlx::Error> {
        sqlx::query(
            "DELETE FROM notices_rooms WHERE user_id = $1 AND claim_token = $2 AND room_id IS NULL",
        )
        .bind(user_id.as_str())
        .bind(token)
        .execute(&self.db.pool)
        .await?;
        Ok(())
    }

    /// Remembers the display name now in the system user's member event of the room.
    pub async fn set_system_displayname(
        &self,
        user_id: &UserId,
        displayname: &str,
    ) -> Result<(), sqlx::Error> {
        sqlx::query("UPDATE notices_rooms SET system_displayname = $1 WHERE user_id = $2")
            .bind(displayname)
            .bind(user_id.as_str())
            .execute(&self.db.pool)
            .await?;
        Ok(())
    }
}
