//! Reading deletions, blocking rooms, and their protobuf forms (the RPCs themselves are
//! in `super::super::api`, the one `Evacuations` implementation).

use bailiff_domain::{ChunkState, RoomId, UserId, now_ms};
use bailiff_proto::membership as pb;

use super::super::Evacuator;
use super::super::api::job_to_pb;
use super::super::jobs;
use super::Deletion;
use super::sql;
use crate::error::Error;
use crate::store;

impl Evacuator {
    /// A deletion by job ID; `None` when unknown or not a deletion.
    pub async fn deletion(&self, job_id: &str) -> Result<Option<Deletion>, Error> {
        let mut conn = self.inner.store.conn().await?;
        let Some(row) = sql::get_deletion(&mut conn, job_id).await? else {
            return Ok(None);
        };
        let Some(job) = jobs::get_job(&mut conn, job_id).await? else {
            return Ok(None);
        };
        let below = row.leave_chunks;
        Ok(Some(Deletion {
            kicked_users: sql::items_in_state(&mut conn, job_id, below, ChunkState::Done).await?,
            failed_to_kick_users: sql::items_in_state(&mut conn, job_id, below, ChunkState::Failed)
                .await?,
            job,
            room_id: row.room_id,
            new_room_id: row.new_room_id,
            block: row.block != 0,
            purge: row.purge != 0,
            purged_rows: row.purged_rows,
            existing: false,
        }))
    }

    /// The room's deletions, oldest first.
    pub async fn deletions_of_room(&self, room_id: &RoomId) -> Result<Vec<Deletion>, Error> {
        let job_ids = {
            let mut conn = self.inner.store.conn().await?;
            sql::deletions_of_room(&mut conn, room_id.as_str()).await?
        };
        let mut found = Vec::with_capacity(job_ids.len());
        for job_id in job_ids {
            found.extend(self.deletion(&job_id).await?);
        }
        Ok(found)
    }

    /// Who blocked the room, when it is blocked.
    pub async fn room_blocked_by(&self, room_id: &RoomId) -> Result<Option<String>, Error> {
        let mut conn = self.inner.store.conn().await?;
        Ok(store::room_blocked_by(&mut conn, room_id.as_str()).await?)
    }

    /// Blocks (as `user_id`) or unblocks a room, known or not.
    pub async fn set_room_block(
        &self,
        room_id: &RoomId,
        block: bool,
        user_id: &UserId,
    ) -> Result<(), Error> {
        let mut tx = self.inner.store.begin_write().await?;
        if block {
            store::block_room(&mut tx, room_id.as_str(), user_id.as_str(), now_ms()).await?;
        } else {
            store::unblock_room(&mut tx, room_id.as_str()).await?;
        }
        tx.commit().await?;
        Ok(())
    }
}

/// A deletion as the proto carries it.
pub(crate) fn deletion_to_pb(deletion: Deletion) -> pb::RoomDeletion {
    pb::RoomDeletion {
        job: Some(job_to_pb(deletion.job, Vec::new(), deletion.existing)),
        room_id: deletion.room_id,
        kicked_users: deletion.kicked_users,
        failed_to_kick_users: deletion.failed_to_kick_users,
        new_room_id: deletion.new_room_id,
        block: deletion.block,
        purge: deletion.purge,
        purged_rows: deletion.purged_rows,
    }
}

/// A block state as the proto carries it.
pub(crate) fn block_to_pb(blocked_by: Option<String>) -> pb::RoomBlock {
    pb::RoomBlock {
        block: blocked_by.is_some(),
        user_id: blocked_by,
    }
}
