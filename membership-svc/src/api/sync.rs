//! `/sync`: what changed for a user between two stream positions, long-polling when
//! nothing did.
//!
//! Each attempt reads one snapshot (`begin_snapshot`): the stream position `C` it reports
//! as `next_batch` and every row it returns are consistent, and because positions commit
//! in order nothing at or below `C` can appear later. Rules (Synapse's, simplified):
//!
//! * `rooms.join`: rooms joined at `C` with events in `(since, C]`, account data changes,
//!   or a join after `since`. Timeline = newest `limit` events in `(since, C]` (in the
//!   whole room when newly joined or initial), `limited` when more exist, `prev_batch`
//!   just before the first. `state` = the full state at the timeline's start on initial
//!   sync, `full_state` or a new join; the state changes in the gap when limited;
//!   otherwise nothing (state events are in the timeline).
//! * `rooms.invite`: invites newer than `since` (all on initial), stripped state.
//! * `rooms.leave`: leaves/bans after `since` (never on initial sync): the events up to
//!   the leave when the user had been joined, else just the leave event.

use std::collections::{HashMap, HashSet};
use std::time::Duration;

use bailiff_domain::Membership;
use bailiff_proto::membership as pb;
use sqlx::AnyConnection;
use tokio::time::Instant;

use super::{Error, Result, RoomsService, parse, to_pb};
use crate::ids;
use crate::store::{self, AccountDataRow, Dir, EventRow, MemberRow};

/// Timeline events per room unless the caller asks otherwise, and the most it may ask.
const DEFAULT_TIMELINE_LIMIT: u32 = 10;
const MAX_TIMELINE_LIMIT: u32 = 100;
/// Longest long-poll; the gateway caps what clients ask below this.
const MAX_TIMEOUT: Duration = Duration::from_secs(300);
/// Waiters re-check this often even without a wake-up, in case one was lost.
const RECHECK: Duration = Duration::from_secs(5);
/// State types shown to invitees.
const INVITE_STATE_TYPES: &[&str] = &[
    "m.room.create",
    "m.room.join_rules",
    "m.room.name",
    "m.room.canonical_alias",
    "m.room.avatar",
    "m.room.encryption",
    "m.room.topic",
];

struct Params<'a> {
    user_id: &'a str,
    device_id: &'a str,
    since: Option<i64>,
    full_state: bool,
    limit: i64,
}

impl RoomsService {
    pub(crate) async fn sync(&self, request: pb::SyncRequest) -> Result<pb::SyncResponse> {
        let since = if request.since.is_empty() {
            None
        } else {
            Some(
                ids::parse_token(&request.since)
                    .ok_or_else(|| Error::invalid_argument("Invalid since token"))?,
            )
        };
        let limit = match request.timeline_limit {
            0 => DEFAULT_TIMELINE_LIMIT,
            n => n.min(MAX_TIMELINE_LIMIT),
        };
        let user_id = parse::user_id(&request.user_id)?;
        let params = Params {
            user_id: user_id.as_str(),
            device_id: &request.device_id,
            since,
            full_state: request.full_state,
            limit: i64::from(limit),
        };
        let timeout = Duration::from_millis(request.timeout_ms).min(MAX_TIMEOUT);
        let deadline = Instant::now() + timeout;
        let mut wake = self.notifier.subscribe();
        loop {
            // Anything committed after this point wakes the wait below.
            wake.borrow_and_update();
            let response = self.sync_once(&params).await?;
            let has_news = !response.join.is_empty()
                || !response.invite.is_empty()
                || !response.leave.is_empty();
            let now = Instant::now();
            if has_news || since.is_none() || request.full_state || now >= deadline {
                return Ok(response);
            }
            let nap = (deadline - now).min(RECHECK);
            tokio::select! {
                changed = wake.changed() => {
                    if changed.is_err() {
                        tokio::time::sleep(nap).await;
                    }
                }
                () = tokio::time::sleep(nap) => {}
            }
        }
    }

    async fn sync_once(&self, params: &Params<'_>) -> Result<pb::SyncResponse> {
        let mut tx = self.store.begin_snapshot().await?;
        let current = store::current_pos(&mut tx).await?;
        let memberships = store::memberships_of_user(&mut tx, params.user_id).await?;
        let (active_rooms, account_changes) = match params.since {
            Some(since) => {
                let rooms: HashSet<String> = store::joined_rooms_with_events_between(
                    &mut tx,
                    params.user_id,
                    since,
                    current,
                )
                .await?
                .into_iter()
                .collect();
                let mut changes: HashMap<String, Vec<AccountDataRow>> = HashMap::new();
                for row in
                    store::account_data_changes(&mut tx, params.user_id, since, current).await?
                {
                    changes.entry(row.room_id.clone()).or_default().push(row);
                }
                (rooms, changes)
            }
            None => (HashSet::new(), HashMap::new()),
        };

        let mut response = pb::SyncResponse {
            next_batch: ids::token(current.max(params.since.unwrap_or(0))),
            ..Default::default()
        };
        for member in memberships {
            let changed_since = params.since.is_none_or(|since| member.stream_pos > since);
            match member.membership {
                Membership::Join => {
                    let fresh = changed_since || params.full_state;
                    let room_changes = account_changes.get(&member.room_id);
                    if !fresh && !active_rooms.contains(&member.room_id) && room_changes.is_none() {
                        continue;
                    }
                    let room = self
                        .joined_room(
                            &mut tx,
                            params,
                            &member,
                            current,
                            changed_since,
                            room_changes,
                        )
                        .await?;
                    response.join.push(room);
                }
                Membership::Invite if changed_since => {
                    let invite_state = invite_state(&mut tx, &member).await?;
                    response.invite.push(pb::InvitedRoom {
                        room_id: member.room_id,
                        invite_state,
                    });
                }
                Membership::Leave | Membership::Ban if params.since.is_some() && changed_since => {
                    let room = self.left_room(&mut tx, params, &member).await?;
                    response.leave.push(room);
                }
                _ => {}
            }
        }
        tx.commit().await?;
        Ok(response)
    }

    async fn joined_room(
        &self,
        conn: &mut AnyConnection,
        params: &Params<'_>,
        member: &MemberRow,
        current: i64,
        newly_joined: bool,
        account_changes: Option<&Vec<AccountDataRow>>,
    ) -> Result<pb::JoinedRoom> {
        let after = if newly_joined {
            0
        } else {
            params.since.unwrap_or(0)
        };
        let (timeline, first_pos) = timeline(conn, params, &member.room_id, after, current).await?;
        let state = if newly_joined || params.full_state {
            store::state_at(conn, &member.room_id, first_pos - 1).await?
        } else if timeline.limited {
            let since = params.since.unwrap_or(0);
            store::state_at(conn, &member.room_id, first_pos - 1)
                .await?
                .into_iter()
                .filter(|e| e.stream_pos > since)
                .collect()
        } else {
            Vec::new()
        };
        let account_data = if newly_joined || params.full_state {
            store::room_account_data_for_room(conn, params.user_id, &member.room_id).await?
        } else {
            account_changes.cloned().unwrap_or_default()
        };
        Ok(pb::JoinedRoom {
            room_id: member.room_id.clone(),
            timeline: Some(timeline),
            state: self.events(state, params),
            account_data: account_data
                .into_iter()
                .map(|row| pb::AccountDataEvent {
                    r#type: row.data_type,
                    content: row.content,
                })
                .collect(),
        })
    }

    async fn left_room(
        &self,
        conn: &mut AnyConnection,
        params: &Params<'_>,
        member: &MemberRow,
    ) -> Result<pb::LeftRoom> {
        let since = params.since.unwrap_or(0);
        let was_joined = member.prev_membership == Some(Membership::Join);
        let (timeline, state) = if was_joined {
            let (timeline, first_pos) =
                timeline(conn, params, &member.room_id, since, member.stream_pos).await?;
            let state = if params.full_state || timeline.limited {
                store::state_at(conn, &member.room_id, first_pos - 1)
                    .await?
                    .into_iter()
                    .filter(|e| params.full_state || e.stream_pos > since)
                    .collect()
            } else {
                Vec::new()
            };
            (timeline, state)
        } else {
            let leave = store::event_by_id(conn, &member.event_id).await?;
            let timeline = pb::Timeline {
                prev_batch: ids::token(member.stream_pos - 1),
                limited: false,
                events: leave
                    .into_iter()
                    .map(|e| to_pb(e, Some((params.user_id, params.device_id))))
                    .collect(),
            };
            (timeline, Vec::new())
        };
        Ok(pb::LeftRoom {
            room_id: member.room_id.clone(),
            timeline: Some(timeline),
            state: self.events(state, params),
            account_data: Vec::new(),
        })
    }

    fn events(&self, rows: Vec<EventRow>, params: &Params<'_>) -> Vec<pb::Event> {
        rows.into_iter()
            .map(|e| to_pb(e, Some((params.user_id, params.device_id))))
            .collect()
    }
}

/// The newest `limit` events of a room in `(after, upto]`, oldest first, and the position
/// the timeline starts at (`upto + 1` when empty, so "state before it" is the state at
/// `upto`).
async fn timeline(
    conn: &mut AnyConnection,
    params: &Params<'_>,
    room_id: &str,
    after: i64,
    upto: i64,
) -> Result<(pb::Timeline, i64)> {
    let mut rows =
        store::events_between(conn, room_id, after, upto, params.limit + 1, Dir::Backward).await?;
    let limit = usize::try_from(params.limit).unwrap_or(0);
    let limited = rows.len() > limit;
    rows.truncate(limit);
    rows.reverse();
    let first_pos = rows.first().map_or(upto + 1, |e| e.stream_pos);
    let timeline = pb::Timeline {
        prev_batch: ids::token(first_pos - 1),
        limited,
        events: rows
            .into_iter()
            .map(|e| to_pb(e, Some((params.user_id, params.device_id))))
            .collect(),
    };
    Ok((timeline, first_pos))
}

/// Stripped state for an invitee: a few room-describing events plus the invite itself,
/// each with its sender.
async fn invite_state(
    conn: &mut AnyConnection,
    member: &MemberRow,
) -> Result<Vec<pb::StrippedEvent>> {
    let state = store::current_state(conn, &member.room_id).await?;
    let mut stripped: Vec<pb::StrippedEvent> = state
        .into_iter()
        .filter(|e| INVITE_STATE_TYPES.contains(&e.event_type.as_str()))
        .map(|e| pb::StrippedEvent {
            r#type: e.event_type,
            state_key: e.state_key.unwrap_or_default(),
            sender: e.sender,
            content: e.content,
        })
        .collect();
    stripped.push(pb::StrippedEvent {
        r#type: "m.room.member".into(),
        state_key: member.user_id.clone(),
        sender: member.sender.clone(),
        content: member.content.clone(),
    });
    Ok(stripped)
}
