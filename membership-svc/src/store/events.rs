//! Events, current state and transaction IDs.
//!
//! [`append_events`] is the one way events are written: it allocates stream positions,
//! derives event IDs, records `unsigned.prev_content`/`replaces_state` for state events,
//! and keeps `membership_current_state` and `membership_members` in step, set-wise.

use std::collections::HashMap;

use bailiff_domain::Membership;
use sqlx::{AnyConnection, AssertSqlSafe};

use super::{ROWS_PER_STATEMENT, allocate, keys_per_statement, placeholders, row_placeholders};
use crate::ids;

/// A stored event.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct EventRow {
    pub stream_pos: i64,
    pub event_id: String,
    pub room_id: String,
    #[sqlx(rename = "type")]
    pub event_type: String,
    pub state_key: Option<String>,
    pub sender: String,
    /// JSON object text.
    pub content: String,
    pub origin_server_ts: i64,
    /// JSON object text, when the event has any server-added data.
    pub unsigned: Option<String>,
    /// Device and transaction ID the sender used, for `unsigned.transaction_id`.
    pub device_id: Option<String>,
    pub txn_id: Option<String>,
}

impl EventRow {
    /// `membership` of an `m.room.member` event's content; `None` when absent or not a
    /// known membership.
    pub fn membership(&self) -> Option<Membership> {
        membership_of_content(&self.content)
    }
}

/// An event to append. `content` must already be a JSON object's text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewEvent {
    pub event_type: String,
    pub state_key: Option<String>,
    pub sender: String,
    pub content: String,
    /// `(device_id, txn_id)` of the client request that sent it.
    pub txn: Option<(String, String)>,
}

impl NewEvent {
    /// A state event.
    pub fn state(
        event_type: impl Into<String>,
        state_key: impl Into<String>,
        sender: impl Into<String>,
        content: impl Into<String>,
    ) -> Self {
        Self {
            event_type: event_type.into(),
            state_key: Some(state_key.into()),
            sender: sender.into(),
            content: content.into(),
            txn: None,
        }
    }

    /// A message (non-state) event.
    pub fn message(
        event_type: impl Into<String>,
        sender: impl Into<String>,
        content: impl Into<String>,
    ) -> Self {
        Self {
            event_type: event_type.into(),
            state_key: None,
            sender: sender.into(),
            content: content.into(),
            txn: None,
        }
    }
}

/// Pagination direction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dir {
    /// Oldest first.
    Forward,
    /// Newest first.
    Backward,
}

pub(crate) fn membership_of_content(content: &str) -> Option<Membership> {
    let value: serde_json::Value = serde_json::from_str(content).ok()?;
    value.get("membership")?.as_str()?.parse().ok()
}

/// What a state key currently holds: the current state event's ID, content and sender.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Prior {
    pub event_id: String,
    pub content: String,
    pub sender: String,
}

/// Current state by (type, state_key); a key that is absent has no state yet.
pub type PriorState = HashMap<(String, String), Prior>;

/// Appends `events` to `room_id` in the caller's transaction (which must come from
/// [`super::Store::begin_write`]): one position range, one multi-row insert per
/// [`ROWS_PER_STATEMENT`] events, current state and memberships upserted set-wise.
/// Returns the stored events in order.
pub async fn append_events(
    conn: &mut AnyConnection,
    room_id: &str,
    events: &[NewEvent],
    now_ms: i64,
) -> Result<Vec<EventRow>, sqlx::Error> {
    if events.is_empty() {
        return Ok(Vec::new());
    }
    let prior = load_prior_state(conn, room_id, events).await?;
    append_events_over(conn, room_id, events, prior, now_ms).await
}

/// [`append_events`] for a caller that has already read, in this transaction, the
/// current state of every (type, state_key) the batch touches (`prior`; absent keys
/// have none). Evacuation reads it together with the members it checks, which saves a
/// query per chunk.
pub async fn append_events_over(
    conn: &mut AnyConnection,
    room_id: &str,
    events: &[NewEvent],
    prior: PriorState,
    now_ms: i64,
) -> Result<Vec<EventRow>, sqlx::Error> {
    let mut stored = append_to_rooms(conn, vec![(room_id, events, prior)], now_ms).await?;
    Ok(stored.pop().unwrap_or_default())
}

/// [`append_events_over`] for several rooms at once: one position range and one
/// statement per table for all of them, so a batch touching many rooms (server notices
/// to many users) costs a fixed number of round trips. Rooms get consecutive positions
/// in the order given; returns each room's stored events in that order.
pub async fn append_to_rooms(
    conn: &mut AnyConnection,
    rooms: Vec<(&str, &[NewEvent], PriorState)>,
    now_ms: i64,
) -> Result<Vec<Vec<EventRow>>, sqlx::Error> {
    let total: usize = rooms.iter().map(|(_, events, _)| events.len()).sum();
    if total == 0 {
        return Ok(rooms.iter().map(|_| Vec::new()).collect());
    }
    let mut positions = allocate(conn, total).await?;
    let mut all = LaidOut::default();
    let mut lengths = Vec::with_capacity(rooms.len());
    for (room_id, events, prior) in rooms {
        lengths.push(events.len());
        all.extend(lay_out(room_id, events, prior, &mut positions, now_ms));
    }
    insert_event_rows(conn, &all.stored).await?;
    upsert_current_state(conn, &all.stored, &all.state_rows).await?;
    upsert_members(conn, &all.stored, &all.member_rows).await?;
    // Same transaction, so the admin rooms list never disagrees with the members.
    super::room_stats::apply(
        conn,
        &all.stored,
        &all.state_rows,
        &all.member_rows,
        &all.members_before,
        &all.created_state,
    )
    .await?;
    let mut rows = all.stored.into_iter();
    Ok(lengths
        .into_iter()
        .map(|n| rows.by_ref().take(n).collect())
        .collect())
}

/// Events given their positions and IDs, with what the state tables need.
#[derive(Default)]
struct LaidOut {
    stored: Vec<EventRow>,
    /// Indexes into `stored` of the last event per (room, type, state_key).
    state_rows: Vec<usize>,
    /// The member events among `state_rows`, with the membership each replaces.
    member_rows: Vec<(usize, Option<Membership>)>,
    /// Indexes into `stored` of the events that gave a (room, type, state_key) its
    /// first state (for `room_stats`).
    created_state: Vec<usize>,
    /// For each of `member_rows`, the membership before the whole batch (`member_rows`
    /// holds the one before its own event), for `room_stats`.
    members_before: Vec<Option<Membership>>,
}

impl LaidOut {
    fn extend(&mut self, room: LaidOut) {
        let offset = self.stored.len();
        self.state_rows
            .extend(room.state_rows.into_iter().map(|i| i + offset));
        self.member_rows.extend(
            room.member_rows
                .into_iter()
                .map(|(i, prev)| (i + offset, prev)),
        );
        self.created_state
            .extend(room.created_state.into_iter().map(|i| i + offset));
        self.members_before.extend(room.members_before);
        self.stored.extend(room.stored);
    }
}

/// Pure: one room's events at the next positions of `positions`.
fn lay_out(
    room_id: &str,
    events: &[NewEvent],
    mut prior: PriorState,
    positions: &mut impl Iterator<Item = i64>,
    now_ms: i64,
) -> LaidOut {
    let mut stored = Vec::with_capacity(events.len());
    // (type, state_key) -> index in `stored` of the last event for it, for the upserts.
    let mut last_state: HashMap<(String, String), usize> = HashMap::new();
    let mut prev_membership: HashMap<usize, Option<Membership>> = HashMap::new();
    let mut created_state = Vec::new();
    let mut before_batch: HashMap<(String, String), Option<Membership>> = HashMap::new();
    for (event, pos) in events.iter().zip(positions) {
        let event_id = ids::event_id(
            room_id,
            &event.sender,
            &event.event_type,
            event.state_key.as_deref(),
            &event.content,
            now_ms,
            pos,
        );
        let mut unsigned = None;
        if let Some(state_key) = &event.state_key {
            let key = (event.event_type.clone(), state_key.clone());
            if let Some(previous) = prior.get(&key) {
                let prev_content: serde_json::Value =
                    serde_json::from_str(&previous.content).unwrap_or(serde_json::Value::Null);
                unsigned = Some(
                    serde_json::json!({
                        "prev_content": prev_content,
                        "replaces_state": previous.event_id,
                        "prev_sender": previous.sender,
                    })
                    .to_string(),
                );
            }
            if !prior.contains_key(&key) {
                created_state.push(stored.len());
            }
            if event.event_type == "m.room.member" {
                before_batch.entry(key.clone()).or_insert_with(|| {
                    prior
                        .get(&key)
                        .and_then(|p| membership_of_content(&p.content))
                });
                prev_membership.insert(
                    stored.len(),
                    prior
                        .get(&key)
                        .and_then(|p| membership_of_content(&p.content)),
                );
            }
            prior.insert(
                key.clone(),
                Prior {
                    event_id: event_id.clone(),
                    content: event.content.clone(),
                    sender: event.sender.clone(),
                },
            );
            last_state.insert(key, stored.len());
        }
        let (device_id, txn_id) = match &event.txn {
            Some((device, txn)) => (Some(device.clone()), Some(txn.clone())),
            None => (None, None),
        };
        stored.push(EventRow {
            stream_pos: pos,
            event_id,
            room_id: room_id.to_owned(),
            event_type: event.event_type.clone(),
            state_key: event.state_key.clone(),
            sender: event.sender.clone(),
            content: event.content.clone(),
            origin_server_ts: now_ms,
            unsigned,
            device_id,
            txn_id,
        });
    }

    let mut state_rows: Vec<usize> = last_state.values().copied().collect();
    state_rows.sort_unstable();
    let member_rows: Vec<(usize, Option<Membership>)> = state_rows
        .iter()
        .filter(|i| stored[**i].event_type == "m.room.member")
        .map(|i| (*i, prev_membership.remove(i).flatten()))
        .collect();
    let members_before = member_rows
        .iter()
        .map(|(i, _)| {
            let row = &stored[*i];
            let key = (
                row.event_type.clone(),
                row.state_key.clone().unwrap_or_default(),
            );
            before_batch.get(&key).copied().flatten()
        })
        .collect();
    LaidOut {
        stored,
        state_rows,
        member_rows,
        created_state,
        members_before,
    }
}

/// Current state (event ID, content) of every (type, state_key) the batch touches; no
/// query when it touches none. For callers of [`append_to_rooms`].
pub async fn load_prior_state(
    conn: &mut AnyConnection,
    room_id: &str,
    events: &[NewEvent],
) -> Result<PriorState, sqlx::Error> {
    let mut keys_by_type: HashMap<&str, Vec<&str>> = HashMap::new();
    for event in events {
        if let Some(state_key) = &event.state_key {
            let keys = keys_by_type.entry(event.event_type.as_str()).or_default();
            if !keys.contains(&state_key.as_str()) {
                keys.push(state_key);
            }
        }
    }
    let mut prior = HashMap::new();
    for (event_type, keys) in keys_by_type {
        for chunk in keys.chunks(keys_per_statement(conn)) {
            let sql = format!(
                "SELECT e.state_key, e.event_id, e.content, e.sender \
                 FROM membership_current_state cs \
                 JOIN membership_events e ON e.stream_pos = cs.stream_pos \
                 WHERE cs.room_id = $1 AND cs.type = $2 AND cs.state_key IN ({})",
                placeholders(3, chunk.len())
            );
            let mut query =
                sqlx::query_as::<_, (String, String, String, String)>(AssertSqlSafe(sql))
                    .bind(room_id)
                    .bind(event_type);
            for key in chunk {
                query = query.bind(*key);
            }
            for (state_key, event_id, content, sender) in query.fetch_all(&mut *conn).await? {
                prior.insert(
                    (event_type.to_owned(), state_key),
                    Prior {
                        event_id,
                        content,
                        sender,
                    },
                );
            }
        }
    }
    Ok(prior)
}

async fn insert_event_rows(conn: &mut AnyConnection, rows: &[EventRow]) -> Result<(), sqlx::Error> {
    const WIDTH: usize = 11;
    for chunk in rows.chunks(ROWS_PER_STATEMENT) {
        let sql = format!(
            "INSERT INTO membership_events (stream_pos, event_id, room_id, type, state_key, \
             sender, content, origin_server_ts, unsigned, device_id, txn_id) VALUES {}",
            row_placeholders(conn, chunk.len(), WIDTH)
        );
        let mut query = sqlx::query(AssertSqlSafe(sql));
        for row in chunk {
            query = query
                .bind(row.stream_pos)
                .bind(&row.event_id)
                .bind(&row.room_id)
                .bind(&row.event_type)
                .bind(row.state_key.as_deref())
                .bind(&row.sender)
                .bind(&row.content)
                .bind(row.origin_server_ts)
                .bind(row.unsigned.as_deref())
                .bind(row.device_id.as_deref())
                .bind(row.txn_id.as_deref());
        }
        query.execute(&mut *conn).await?;
    }
    Ok(())
}

async fn upsert_current_state(
    conn: &mut AnyConnection,
    rows: &[EventRow],
    indexes: &[usize],
) -> Result<(), sqlx::Error> {
    const WIDTH: usize = 5;
    for chunk in indexes.chunks(ROWS_PER_STATEMENT) {
        let sql = format!(
            "INSERT INTO membership_current_state (room_id, type, state_key, event_id, stream_pos) \
             VALUES {} ON CONFLICT (room_id, type, state_key) DO UPDATE SET \
             event_id = excluded.event_id, stream_pos = excluded.stream_pos",
            row_placeholders(conn, chunk.len(), WIDTH)
        );
        let mut query = sqlx::query(AssertSqlSafe(sql));
        for i in chunk {
            let row = &rows[*i];
            query = query
                .bind(&row.room_id)
                .bind(&row.event_type)
                .bind(row.state_key.as_deref().unwrap_or_default())
                .bind(&row.event_id)
                .bind(row.stream_pos);
        }
        query.execute(&mut *conn).await?;
    }
    Ok(())
}

async fn upsert_members(
    conn: &mut AnyConnection,
    rows: &[EventRow],
    members: &[(usize, Option<Membership>)],
) -> Result<(), sqlx::Error> {
    const WIDTH: usize = 8;
    for chunk in members.chunks(ROWS_PER_STATEMENT) {
        let sql = format!(
            "INSERT INTO membership_members (room_id, user_id, membership, prev_membership, \
             event_id, stream_pos, sender, content) VALUES {} \
             ON CONFLICT (room_id, user_id) DO UPDATE SET membership = excluded.membership, \
             prev_membership = excluded.prev_membership, event_id = excluded.event_id, \
             stream_pos = excluded.stream_pos, sender = excluded.sender, content = excluded.content",
            row_placeholders(conn, chunk.len(), WIDTH)
        );
        let mut query = sqlx::query(AssertSqlSafe(sql));
        for (i, prev) in chunk {
            let row = &rows[*i];
            query = query
                .bind(&row.room_id)
                .bind(row.state_key.as_deref().unwrap_or_default())
                .bind(row.membership().unwrap_or(Membership::Leave).as_str())
                .bind(prev.map(Membership::as_str))
                .bind(&row.event_id)
                .bind(row.stream_pos)
                .bind(&row.sender)
                .bind(&row.content);
        }
        query.execute(&mut *conn).await?;
    }
    Ok(())
}
