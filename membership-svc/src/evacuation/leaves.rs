//! The leave events a chunk appends.

use bailiff_domain::{Membership, RoomId, UserId};
use ruma_events::room::member::MembershipState;

use super::jobs;
use crate::content;
use crate::error::Error;
use crate::store::{self, MemberChange};

/// Self-leaves (prior content kept) for those of `users` still joined to the room.
/// Returns how many leaves were appended and the position of the last.
pub(super) async fn room_members(
    tx: &mut sqlx::AnyConnection,
    room_id: &RoomId,
    users: &[String],
    now: i64,
) -> Result<(usize, Option<i64>), Error> {
    let room_id = room_id.as_str();
    let joined = jobs::joined_member_events(tx, room_id, users).await?;
    let changes: Vec<MemberChange> = users
        .iter()
        .filter_map(|user| {
            joined
                .get(user)
                .map(|prior| MemberChange::by_self(user, Membership::Leave, &prior.content))
        })
        .collect();
    if changes.is_empty() {
        return Ok((0, None));
    }
    let count = changes.len();
    let prior: store::PriorState = joined
        .iter()
        .map(|(user, prior)| (("m.room.member".to_owned(), user.clone()), prior.clone()))
        .collect();
    let last = store::append_member_events_over(tx, room_id, &changes, prior, now).await?;
    Ok((count, last))
}

/// The user leaves each of `rooms` where they are still joined or invited, with content
/// `{"membership":"leave"}` (rejecting an invite is a self-leave too). Returns how many
/// leaves were appended and the position of the last.
pub(super) async fn user_rooms(
    tx: &mut sqlx::AnyConnection,
    user_id: &UserId,
    rooms: &[String],
    now: i64,
) -> Result<(usize, Option<i64>), Error> {
    let user_id = user_id.as_str();
    let mut events = 0;
    let mut last = None;
    let leave = content::encode(&content::member(MembershipState::Leave))?;
    for room_id in rooms {
        let current = store::membership_of(tx, room_id, user_id).await?;
        if let Some(member) =
            current.filter(|m| matches!(m.membership, Membership::Join | Membership::Invite))
        {
            let change = MemberChange::by_self(user_id, Membership::Leave, &leave);
            let prior = store::PriorState::from([(
                ("m.room.member".to_owned(), user_id.to_owned()),
                store::Prior {
                    event_id: member.event_id,
                    content: member.content,
                    sender: member.sender,
                },
            )]);
            last = store::append_member_events_over(tx, room_id, &[change], prior, now).await?;
            events += 1;
        }
    }
    Ok((events, last))
}
