//! The Synapse admin rooms API, read side, and the room directory: the rooms list, one
//! room's row, its members and state, a user's memberships, room account data and
//! counts, and directory visibility (`docs/http-api.md` §7 and §8). Rows come from
//! `store::room_stats`, kept with every write.

use bailiff_domain::Membership;
use bailiff_proto::membership as pb;

use super::{Error, Result, RoomsService, parse, room_not_found, to_pb};
use crate::power::PowerLevels;
use crate::store::{self, RoomFilter, RoomOrder, RoomStatsRow};

/// The store's order for the proto's (an unknown number is a 400, not a guess).
fn room_order(value: i32) -> Result<RoomOrder> {
    use pb::RoomOrder as P;
    let order = P::try_from(value).map_err(|_| Error::invalid_argument("Unknown order_by"))?;
    Ok(match order {
        P::Name => RoomOrder::Name,
        P::CanonicalAlias => RoomOrder::CanonicalAlias,
        P::JoinedMembers => RoomOrder::JoinedMembers,
        P::JoinedLocalMembers => RoomOrder::JoinedLocalMembers,
        P::Version => RoomOrder::Version,
        P::Creator => RoomOrder::Creator,
        P::Encryption => RoomOrder::Encryption,
        P::Federatable => RoomOrder::Federatable,
        P::Public => RoomOrder::Public,
        P::JoinRules => RoomOrder::JoinRules,
        P::GuestAccess => RoomOrder::GuestAccess,
        P::HistoryVisibility => RoomOrder::HistoryVisibility,
        P::StateEvents => RoomOrder::StateEvents,
    })
}

impl From<RoomStatsRow> for pb::RoomStats {
    fn from(row: RoomStatsRow) -> Self {
        Self {
            room_id: row.room_id,
            name: row.name,
            canonical_alias: row.canonical_alias,
            topic: row.topic,
            avatar: row.avatar,
            encryption: row.encryption,
            join_rules: row.join_rules,
            guest_access: row.guest_access,
            history_visibility: row.history_visibility,
            room_type: row.room_type,
            federatable: row.federatable != 0,
            replacement_room: row.replacement_room,
            joined_members: row.joined_members,
            joined_local_members: row.joined_local_members,
            state_events: row.state_events,
            creator: row.creator,
            room_version: row.room_version,
            public: row.is_public != 0,
        }
    }
}

impl RoomsService {
    pub(crate) async fn list_rooms(
        &self,
        request: pb::ListRoomsRequest,
    ) -> Result<pb::ListRoomsResponse> {
        if request.search_term.as_deref() == Some("") {
            return Err(Error::invalid_argument(
                "search_term cannot be an empty string",
            ));
        }
        if request.from < 0 || request.limit < 0 {
            return Err(Error::invalid_argument(
                "from and limit must not be negative",
            ));
        }
        let order = room_order(request.order_by)?;
        let filter = RoomFilter {
            search_term: request.search_term,
            public: request.public_rooms,
            empty: request.empty_rooms,
        };
        let mut conn = self.store.conn().await?;
        let (rows, total) = store::list_rooms(
            &mut conn,
            &filter,
            order,
            request.reverse,
            request.from,
            request.limit,
        )
        .await?;
        Ok(pb::ListRoomsResponse {
            rooms: rows.into_iter().map(pb::RoomStats::from).collect(),
            total,
        })
    }

    pub(crate) async fn get_room_stats(
        &self,
        request: pb::GetRoomStatsRequest,
    ) -> Result<pb::RoomStats> {
        let room_id = parse::room_id(&request.room_id)?;
        let mut conn = self.store.conn().await?;
        store::room_stats(&mut conn, room_id.as_str())
            .await?
            .map(pb::RoomStats::from)
            .ok_or_else(room_not_found)
    }

    pub(crate) async fn get_room_joined_users(
        &self,
        request: pb::GetRoomJoinedUsersRequest,
    ) -> Result<pb::GetRoomJoinedUsersResponse> {
        let room_id = parse::room_id(&request.room_id)?;
        let mut tx = self.store.begin_snapshot().await?;
        if store::get_room(&mut tx, room_id.as_str()).await?.is_none() {
            return Err(room_not_found());
        }
        let rows =
            store::member_rows_of_room(&mut tx, room_id.as_str(), Some(Membership::Join)).await?;
        Ok(pb::GetRoomJoinedUsersResponse {
            user_ids: rows.into_iter().map(|row| row.user_id).collect(),
        })
    }

    pub(crate) async fn get_room_current_state(
        &self,
        request: pb::GetRoomCurrentStateRequest,
    ) -> Result<pb::GetStateResponse> {
        let room_id = parse::room_id(&request.room_id)?;
        let mut tx = self.store.begin_snapshot().await?;
        if store::get_room(&mut tx, room_id.as_str()).await?.is_none() {
            return Err(room_not_found());
        }
        let events = store::current_state(&mut tx, room_id.as_str())
            .await?
            .into_iter()
            .filter(|row| {
                request
                    .r#type
                    .as_deref()
                    .is_none_or(|wanted| row.event_type == wanted)
            })
            .map(|row| to_pb(row, None))
            .collect();
        Ok(pb::GetStateResponse { events })
    }

    pub(crate) async fn get_user_memberships(
        &self,
        request: pb::GetUserMembershipsRequest,
    ) -> Result<pb::GetUserMembershipsResponse> {
        let user_id = parse::user_id(&request.user_id)?;
        let mut conn = self.store.conn().await?;
        let rows = store::memberships_of_user(&mut conn, user_id.as_str()).await?;
        Ok(pb::GetUserMembershipsResponse {
            memberships: rows
                .into_iter()
                .map(|row| pb::UserMembership {
                    room_id: row.room_id,
                    membership: pb::Membership::from(row.membership).into(),
                })
                .collect(),
        })
    }

    pub(crate) async fn get_user_room_account_data(
        &self,
        request: pb::GetUserRoomAccountDataRequest,
    ) -> Result<pb::GetUserRoomAccountDataResponse> {
        let user_id = parse::user_id(&request.user_id)?;
        let mut conn = self.store.conn().await?;
        let entries = store::all_room_account_data(&mut conn, user_id.as_str())
            .await?
            .into_iter()
            .map(|(room_id, r#type, content)| pb::RoomAccountDataEntry {
                room_id,
                r#type,
                content,
            })
            .collect();
        Ok(pb::GetUserRoomAccountDataResponse { entries })
    }

    pub(crate) async fn get_user_membership_counts(
        &self,
        request: pb::GetUserMembershipCountsRequest,
    ) -> Result<pb::GetUserMembershipCountsResponse> {
        let user_id = parse::user_id(&request.user_id)?;
        let mut tx = self.store.begin_snapshot().await?;
        let sent_invites =
            store::sent_invite_count(&mut tx, user_id.as_str(), request.from_ts).await?;
        let cumulative_joined_rooms =
            store::cumulative_joined_room_count(&mut tx, user_id.as_str(), request.from_ts).await?;
        Ok(pb::GetUserMembershipCountsResponse {
            sent_invites,
            cumulative_joined_rooms,
        })
    }

    /// As Synapse (`synapse/handlers/directory.py`, `edit_published_room_list`): an
    /// admin, or a joined member whose power reaches the level of
    /// `m.room.canonical_alias`.
    pub(crate) async fn set_room_visibility(
        &self,
        request: pb::SetRoomVisibilityRequest,
    ) -> Result<pb::SetRoomVisibilityResponse> {
        let room_id = parse::room_id(&request.room_id)?;
        let requester = parse::optional_user_id(&request.requester)?;
        let mut tx = self.store.begin_write().await?;
        if store::get_room(&mut tx, room_id.as_str()).await?.is_none() {
            return Err(room_not_found());
        }
        if let Some(requester) = requester {
            let joined = store::membership_of(&mut tx, room_id.as_str(), requester.as_str())
                .await?
                .is_some_and(|row| row.membership == Membership::Join);
            let power =
                store::current_state_event(&mut tx, room_id.as_str(), "m.room.power_levels", "")
                    .await?;
            let levels = PowerLevels::from_content(power.as_ref().map(|e| e.content.as_str()));
            if !joined
                || levels.user_level(requester.as_str())
                    < levels.event_level("m.room.canonical_alias", true)
            {
                return Err(Error::forbidden(
                    "This user is not permitted to edit the published room list",
                ));
            }
        }
        store::set_public(&mut tx, room_id.as_str(), request.public).await?;
        tx.commit().await?;
        Ok(pb::SetRoomVisibilityResponse {})
    }
}
