//! `membership_room_stats`: one row per room with what the Synapse admin rooms list shows
//! (`docs/http-api.md` §7, "Rooms"), kept by [`apply`] inside every write transaction
//! ([`super::append_to_rooms`] calls it), so listing 20,000 rooms never counts members.
//!
//! Counters move by deltas from what the append already knows: the membership each
//! member row replaces and the state keys it creates. A member is local when their
//! server name equals the room ID's: this server mints every room ID with its own name
//! (`crate::ids::new_room_id`) and there is no federation, so no server name needs to be
//! passed down the 30-odd append call sites.
//!
//! [`forget`] is the one way a row goes away (room purge).

use std::collections::BTreeMap;

use bailiff_domain::Membership;
use serde_json::Value;
use sqlx::{AnyConnection, AssertSqlSafe};

use super::events::EventRow;
use super::{ROWS_PER_STATEMENT, row_placeholders};
use crate::ids::server_of;

/// A value for one state column of the row.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Cell {
    Text(Option<String>),
    Int(i64),
}

/// The columns a state event with an empty state key sets, from its content. Types that
/// the list does not show set none.
fn cells_of(event_type: &str, content: &str) -> Vec<(&'static str, Cell)> {
    let value: Value = serde_json::from_str(content).unwrap_or(Value::Null);
    let text = |key: &str| Cell::Text(value.get(key).and_then(Value::as_str).map(str::to_owned));
    match event_type {
        "m.room.name" => vec![("name", text("name"))],
        "m.room.canonical_alias" => vec![("canonical_alias", text("alias"))],
        "m.room.topic" => vec![("topic", text("topic"))],
        "m.room.avatar" => vec![("avatar", text("url"))],
        "m.room.encryption" => vec![("encryption", text("algorithm"))],
        "m.room.join_rules" => vec![("join_rules", text("join_rule"))],
        "m.room.guest_access" => vec![("guest_access", text("guest_access"))],
        "m.room.history_visibility" => vec![("history_visibility", text("history_visibility"))],
        "m.room.tombstone" => vec![("replacement_room", text("replacement_room"))],
        "m.room.create" => {
            // `m.federate` defaults to true (Matrix spec, m.room.create).
            let federate = value.get("m.federate").and_then(Value::as_bool) != Some(false);
            vec![
                ("room_type", text("type")),
                ("federatable", Cell::Int(i64::from(federate))),
            ]
        }
        _ => Vec::new(),
    }
}

/// Whether `user_id` belongs to the server that minted `room_id` (see the module docs).
fn is_local(user_id: &str, room_id: &str) -> bool {
    server_of(user_id).is_some_and(|server| server_of(room_id) == Some(server))
}

/// What one append changes in one room's row.
#[derive(Debug, Default)]
struct Delta {
    joined: i64,
    joined_local: i64,
    state_events: i64,
    cells: Vec<(&'static str, Cell)>,
}

/// Moves the rows of the rooms in `stored` by what the append changed: `state_rows` are
/// the last event per state key, `member_rows` the member events among them,
/// `members_before` (aligned with `member_rows`) each member's membership before the
/// batch, `created` the events that created a state key.
pub(crate) async fn apply(
    conn: &mut AnyConnection,
    stored: &[EventRow],
    state_rows: &[usize],
    member_rows: &[(usize, Option<Membership>)],
    members_before: &[Option<Membership>],
    created: &[usize],
) -> Result<(), sqlx::Error> {
    // Ordered by room ID so concurrent writers (PostgreSQL) lock rows in one order.
    let mut deltas: BTreeMap<&str, Delta> = BTreeMap::new();
    for &i in created {
        deltas.entry(&stored[i].room_id).or_default().state_events += 1;
    }
    for (&(i, _), &prev) in member_rows.iter().zip(members_before) {
        let row = &stored[i];
        let joined = i64::from(row.membership() == Some(Membership::Join))
            - i64::from(prev == Some(Membership::Join));
        if joined != 0 {
            let delta = deltas.entry(&row.room_id).or_default();
            delta.joined += joined;
            if is_local(row.state_key.as_deref().unwrap_or_default(), &row.room_id) {
                delta.joined_local += joined;
            }
        }
    }
    for &i in state_rows {
        let row = &stored[i];
        if row.state_key.as_deref() == Some("") {
            let cells = cells_of(&row.event_type, &row.content);
            if !cells.is_empty() {
                deltas.entry(&row.room_id).or_default().cells.extend(cells);
            }
        }
    }
    let deltas: Vec<(&str, Delta)> = deltas.into_iter().collect();
    for chunk in deltas.chunks(ROWS_PER_STATEMENT) {
        add_counts(conn, chunk).await?;
    }
    for (room_id, delta) in &deltas {
        set_cells(conn, room_id, &delta.cells).await?;
    }
    Ok(())
}

/// Adds the counter deltas, creating rows for rooms that have none (a new room).
async fn add_counts(conn: &mut AnyConnection, rooms: &[(&str, Delta)]) -> Result<(), sqlx::Error> {
    let sql = format!(
        "INSERT INTO membership_room_stats (room_id, joined_members, joined_local_members, \
         state_events) VALUES {} ON CONFLICT (room_id) DO UPDATE SET \
         joined_members = membership_room_stats.joined_members + excluded.joined_members, \
         joined_local_members = \
         membership_room_stats.joined_local_members + excluded.joined_local_members, \
         state_events = membership_room_stats.state_events + excluded.state_events",
        row_placeholders(conn, rooms.len(), 4)
    );
    let mut query = sqlx::query(AssertSqlSafe(sql));
    for (room_id, delta) in rooms {
        query = query
            .bind(*room_id)
            .bind(delta.joined)
            .bind(delta.joined_local)
            .bind(delta.state_events);
    }
    query.execute(&mut *conn).await?;
    Ok(())
}

/// Sets state columns of one room; no statement when there are none.
async fn set_cells(
    conn: &mut AnyConnection,
    room_id: &str,
    cells: &[(&'static str, Cell)],
) -> Result<(), sqlx::Error> {
    if cells.is_empty() {
        return Ok(());
    }
    // Column names come from `cells_of`, never from input.
    let set: Vec<String> = cells
        .iter()
        .enumerate()
        .map(|(n, (column, _))| format!("{column} = ${}", n + 2))
        .collect();
    let sql = format!(
        "UPDATE membership_room_stats SET {} WHERE room_id = $1",
        set.join(", ")
    );
    let mut query = sqlx::query(AssertSqlSafe(sql)).bind(room_id);
    for (_, cell) in cells {
        query = match cell {
            Cell::Text(text) => query.bind(text.clone()),
            Cell::Int(n) => query.bind(*n),
        };
    }
    query.execute(&mut *conn).await?;
    Ok(())
}

/// Rebuilds one room's row from the membership and state tables: for rooms that predate
/// the table ([`backfill`]) and as the reference the tests compare deltas against.
pub async fn recount(conn: &mut AnyConnection, room_id: &str) -> Result<(), sqlx::Error> {
    let joined: Vec<String> = sqlx::query_scalar(
        "SELECT user_id FROM membership_members WHERE room_id = $1 AND membership = $2",
    )
    .bind(room_id)
    .bind(Membership::Join.as_str())
    .fetch_all(&mut *conn)
    .await?;
    let local = joined.iter().filter(|u| is_local(u, room_id)).count();
    let state_events: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM membership_current_state WHERE room_id = $1")
            .bind(room_id)
            .fetch_one(&mut *conn)
            .await?;
    let state: Vec<(String, String)> = sqlx::query_as(
        "SELECT cs.type, e.content FROM membership_current_state cs \
         JOIN membership_events e ON e.stream_pos = cs.stream_pos \
         WHERE cs.room_id = $1 AND cs.state_key = ''",
    )
    .bind(room_id)
    .fetch_all(&mut *conn)
    .await?;
    forget(conn, room_id).await?;
    sqlx::query(
        "INSERT INTO membership_room_stats (room_id, joined_members, joined_local_members, \
         state_events) VALUES ($1, $2, $3, $4)",
    )
    .bind(room_id)
    .bind(i64::try_from(joined.len()).unwrap_or(i64::MAX))
    .bind(i64::try_from(local).unwrap_or(i64::MAX))
    .bind(state_events)
    .execute(&mut *conn)
    .await?;
    let cells: Vec<(&'static str, Cell)> = state
        .iter()
        .flat_map(|(event_type, content)| cells_of(event_type, content))
        .collect();
    set_cells(conn, room_id, &cells).await
}

/// Gives every room without a row its row ([`recount`]); run after the migrations, so a
/// database from before the table lists all its rooms. Returns how many were built.
pub async fn backfill(conn: &mut AnyConnection) -> Result<usize, sqlx::Error> {
    let missing: Vec<String> = sqlx::query_scalar(
        "SELECT r.room_id FROM membership_rooms r LEFT JOIN membership_room_stats s \
         ON s.room_id = r.room_id WHERE s.room_id IS NULL",
    )
    .fetch_all(&mut *conn)
    .await?;
    for room_id in &missing {
        recount(conn, room_id).await?;
    }
    Ok(missing.len())
}

/// Removes a room's row (room purge calls this with the room's other rows).
pub async fn forget(conn: &mut AnyConnection, room_id: &str) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM membership_room_stats WHERE room_id = $1")
        .bind(room_id)
        .execute(&mut *conn)
        .await?;
    Ok(())
}
