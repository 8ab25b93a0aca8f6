//! Test fixtures of the store, shared by its own tests and the evacuation tests: a
//! migrated store and a room row with the events that open it.

use bailiff_database::Database;

use super::{NewEvent, RoomRow, Store, Tx, insert_room};

/// A store on `db`, migrated.
pub async fn store(db: Database) -> Store {
    crate::migrate(&db).await.expect("migrate");
    Store::new(db)
}

/// Inserts the row of a room `creator` made, and returns the events that open it (its
/// create event and the creator's join) for the caller to extend and append.
pub async fn room_opening(tx: &mut Tx, room_id: &str, creator: &str) -> Vec<NewEvent> {
    insert_room(
        tx,
        &RoomRow {
            room_id: room_id.into(),
            creator: creator.into(),
            created_ts: 1,
            room_version: "10".into(),
            is_public: 0,
            server_notice_target: None,
        },
    )
    .await
    .expect("insert room");
    vec![
        NewEvent::state("m.room.create", "", creator, r#"{"creator":"x"}"#),
        NewEvent::state(
            "m.room.member",
            creator,
            creator,
            r#"{"membership":"join"}"#,
        ),
    ]
}
