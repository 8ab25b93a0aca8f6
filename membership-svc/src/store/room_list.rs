//! Reads of `membership_room_stats` for the Synapse admin rooms list, room details and
//! the public room directory (`docs/http-api.md` §7 and §8).

use sqlx::{AnyConnection, AssertSqlSafe};

/// A room as the admin API shows it: its statistics row with the room record.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct RoomStatsRow {
    pub room_id: String,
    pub name: Option<String>,
    pub canonical_alias: Option<String>,
    pub topic: Option<String>,
    pub avatar: Option<String>,
    pub encryption: Option<String>,
    pub join_rules: Option<String>,
    pub guest_access: Option<String>,
    pub history_visibility: Option<String>,
    pub room_type: Option<String>,
    /// 1 unless `m.federate` is false.
    pub federatable: i64,
    pub replacement_room: Option<String>,
    pub joined_members: i64,
    pub joined_local_members: i64,
    pub state_events: i64,
    pub creator: String,
    pub room_version: String,
    /// 1 when published in the room directory.
    pub is_public: i64,
}

const COLUMNS: &str = "s.room_id, s.name, s.canonical_alias, s.topic, s.avatar, s.encryption, \
     s.join_rules, s.guest_access, s.history_visibility, s.room_type, s.federatable, \
     s.replacement_room, s.joined_members, s.joined_local_members, s.state_events, \
     r.creator, r.room_version, r.is_public";

/// What the list is ordered by (Synapse's `order_by` values, `alphabetical` and `size`
/// folded into `Name` and `JoinedMembers`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RoomOrder {
    Name,
    CanonicalAlias,
    JoinedMembers,
    JoinedLocalMembers,
    Version,
    Creator,
    Encryption,
    Federatable,
    Public,
    JoinRules,
    GuestAccess,
    HistoryVisibility,
    StateEvents,
}

impl RoomOrder {
    /// The column; never from input.
    fn column(self) -> &'static str {
        match self {
            Self::Name => "s.name",
            Self::CanonicalAlias => "s.canonical_alias",
            Self::JoinedMembers => "s.joined_members",
            Self::JoinedLocalMembers => "s.joined_local_members",
            Self::Version => "r.room_version",
            Self::Creator => "r.creator",
            Self::Encryption => "s.encryption",
            Self::Federatable => "s.federatable",
            Self::Public => "r.is_public",
            Self::JoinRules => "s.join_rules",
            Self::GuestAccess => "s.guest_access",
            Self::HistoryVisibility => "s.history_visibility",
            Self::StateEvents => "s.state_events",
        }
    }

    /// Synapse lists the biggest first for these (`synapse/storage/databases/main/
    /// room.py`, `get_rooms_paginate`); every other order starts from the smallest.
    fn descending_by_default(self) -> bool {
        matches!(
            self,
            Self::JoinedMembers | Self::JoinedLocalMembers | Self::Version | Self::StateEvents
        )
    }

    /// Whether the column may be NULL (state the room does not have).
    fn nullable(self) -> bool {
        matches!(
            self,
            Self::Name
                | Self::CanonicalAlias
                | Self::Encryption
                | Self::JoinRules
                | Self::GuestAccess
                | Self::HistoryVisibility
        )
    }
}

/// Which rooms to list.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RoomFilter {
    /// Name substring (case-insensitive), alias substring, or the exact room ID.
    pub search_term: Option<String>,
    /// Only published (`true`) or unpublished (`false`) rooms.
    pub public: Option<bool>,
    /// Only rooms without (`true`) or with (`false`) joined members.
    pub empty: Option<bool>,
}

/// One page of the list and how many rooms match in all.
pub async fn list_rooms(
    conn: &mut AnyConnection,
    filter: &RoomFilter,
    order: RoomOrder,
    reverse: bool,
    offset: i64,
    limit: i64,
) -> Result<(Vec<RoomStatsRow>, i64), sqlx::Error> {
    let mut clauses = Vec::new();
    let mut binds: Vec<String> = Vec::new();
    if let Some(term) = &filter.search_term {
        // As Synapse: lower-cased name substring, alias `#%term%:%`, or the exact ID.
        let lower = term.to_lowercase();
        binds.push(format!("%{lower}%"));
        binds.push(format!("#%{lower}%:%"));
        binds.push(term.clone());
        clauses.push(format!(
            "(LOWER(s.name) LIKE ${} OR LOWER(s.canonical_alias) LIKE ${} OR s.room_id = ${})",
            binds.len() - 2,
            binds.len() - 1,
            binds.len()
        ));
    }
    if let Some(public) = filter.public {
        clauses.push(format!("r.is_public = {}", i64::from(public)));
    }
    match filter.empty {
        Some(true) => clauses.push("s.joined_members = 0".to_owned()),
        Some(false) => clauses.push("s.joined_members > 0".to_owned()),
        None => {}
    }
    let filter_sql = if clauses.is_empty() {
        String::new()
    } else {
        format!("WHERE {}", clauses.join(" AND "))
    };
    let descending = order.descending_by_default() != reverse;
    let dir = if descending { "DESC" } else { "ASC" };
    // Rooms without the state come last when ascending (and first when descending), on
    // both backends alike; this is PostgreSQL's own default, so its indexes still serve.
    let nulls = match (order.nullable(), descending) {
        (false, _) => "",
        (true, false) => " NULLS LAST",
        (true, true) => " NULLS FIRST",
    };
    let column = order.column();
    // The room record is joined where the filter or the order needs it only: without
    // it, the offset is walked in a statistics index alone (PostgreSQL otherwise hashes
    // both tables and sorts all 20,000 rooms for a page near the end: ~80 ms there).
    let needs_rooms = filter.public.is_some()
        || matches!(
            order,
            RoomOrder::Version | RoomOrder::Creator | RoomOrder::Public
        );
    let from = if needs_rooms {
        "FROM membership_room_stats s JOIN membership_rooms r ON r.room_id = s.room_id"
    } else {
        "FROM membership_room_stats s"
    };
    // Deferred join: the offset is walked over room IDs and sort keys, and full rows are
    // read for the page's rooms only.
    let page_sql = format!(
        "SELECT {COLUMNS} FROM \
         (SELECT s.room_id AS page_room, {column} AS sort_key {from} {filter_sql} \
          ORDER BY {column} {dir}{nulls}, s.room_id {dir} LIMIT ${} OFFSET ${}) p \
         JOIN membership_room_stats s ON s.room_id = p.page_room \
         JOIN membership_rooms r ON r.room_id = s.room_id \
         ORDER BY p.sort_key {dir}{nulls}, p.page_room {dir}",
        binds.len() + 1,
        binds.len() + 2
    );
    let mut page = sqlx::query_as::<_, RoomStatsRow>(AssertSqlSafe(page_sql));
    for bind in &binds {
        page = page.bind(bind.clone());
    }
    let rows = page.bind(limit).bind(offset).fetch_all(&mut *conn).await?;
    let count_sql = format!("SELECT COUNT(*) {from} {filter_sql}");
    let mut count = sqlx::query_scalar::<_, i64>(AssertSqlSafe(count_sql));
    for bind in &binds {
        count = count.bind(bind.clone());
    }
    let total = count.fetch_one(&mut *conn).await?;
    Ok((rows, total))
}

/// One room's row; `None` for an unknown room.
pub async fn room_stats(
    conn: &mut AnyConnection,
    room_id: &str,
) -> Result<Option<RoomStatsRow>, sqlx::Error> {
    sqlx::query_as(AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM membership_room_stats s \
         JOIN membership_rooms r ON r.room_id = s.room_id WHERE s.room_id = $1"
    )))
    .bind(room_id)
    .fetch_optional(&mut *conn)
    .await
}

/// Publishes the room in the directory or withdraws it; false for an unknown room.
pub async fn set_public(
    conn: &mut AnyConnection,
    room_id: &str,
    public: bool,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query("UPDATE membership_rooms SET is_public = $2 WHERE room_id = $1")
        .bind(room_id)
        .bind(i64::from(public))
        .execute(&mut *conn)
        .await?;
    Ok(done.rows_affected() > 0)
}
