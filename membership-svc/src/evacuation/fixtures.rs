//! Test fixtures shared by the evacuation and room deletion tests: a migrated store, an
//! evacuator on an in-process queue and bus, and a room row with its first two events.

use bailiff_database::Database;
use job_queue::JobQueue;
use replica_bus::ReplicaBus;
use tokio_util::sync::CancellationToken;

use super::{Evacuator, Settings};
use crate::notifier::SyncNotifier;
use crate::store::{self, NewEvent, RoomRow, Store, Tx};

/// The server name of every fixture.
pub const HS: &str = "hs";

/// A store on `db`, migrated.
pub async fn store(db: Database) -> Store {
    crate::migrate(&db).await.expect("migrate");
    Store::new(db)
}

/// An evacuator over `store` with its own in-process queue, bus and sync notifier.
pub fn evacuator(store: &Store, settings: Settings) -> Evacuator {
    let bus = ReplicaBus::in_process();
    let shutdown = CancellationToken::new();
    let notifier = SyncNotifier::start(bus.clone(), shutdown.clone());
    let queue = JobQueue::in_process(settings.queue.clone()).expect("queue");
    Evacuator::new(
        store.clone(),
        queue,
        bus,
        notifier,
        HS.into(),
        settings,
        shutdown,
    )
}

/// Inserts the row of a room `creator` made, and returns the events that open it (its
/// create event and the creator's join) for the caller to extend and append.
pub async fn insert_room(tx: &mut Tx, room_id: &str, creator: &str) -> Vec<NewEvent> {
    store::insert_room(
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
