//! The `Notices` service: finds or creates the notice room through membership-svc
//! ([`rooms`]), keeps the system user's display name current, sends the event through
//! the batcher, and makes PUT transactions idempotent ([`txns`]). [`grpc`] is the
//! boundary: it validates and parses requests into typed values and turns every
//! `crate::error::Error` into a `tonic::Status`.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use bailiff_config::Config;
use bailiff_domain::{OwnedEventId, OwnedRoomId, OwnedUserId};
use bailiff_proto::channel::GrpcChannel;
use bailiff_proto::membership as mpb;
use bailiff_proto::membership::rooms_client::RoomsClient;
use bailiff_proto::transport::Transport;
use tokio_util::task::TaskTracker;

use crate::batch::Batcher;
use crate::error::{Error, Result};
use crate::store::{NoticeStore, TxnKey, TxnResponse};

mod grpc;
mod rooms;
mod txns;
mod wait;

/// The tag notice rooms carry in the target's room account data.
pub const SERVER_NOTICE_TAG: &str = "m.server_notice";

/// Cached user → notice room mappings per process.
const ROOM_CACHE_CAPACITY: u64 = 200_000;

/// The service implementation; cheap to clone.
#[derive(Clone)]
pub struct NoticesService {
    inner: Arc<Inner>,
}

struct Inner {
    config: Arc<Config>,
    store: NoticeStore,
    rooms: RoomsClient<Transport>,
    system_user: String,
    /// user → room ID, for rooms whose system member event this process has checked.
    cache: moka::sync::Cache<OwnedUserId, OwnedRoomId>,
    /// One in-process resolver per user, so concurrent first notices on this replica
    /// wait on a lock instead of polling the database.
    resolving: Mutex<HashMap<OwnedUserId, Arc<tokio::sync::Mutex<()>>>>,
    /// Groups concurrent notices into one `SendNotices` call (one write transaction).
    batcher: Batcher,
}

/// A notice request that passed validation at the boundary.
pub(crate) struct Notice {
    /// Who receives it.
    pub user_id: OwnedUserId,
    /// Event type; `m.room.message` unless the request said otherwise.
    pub event_type: String,
    /// For state events.
    pub state_key: Option<String>,
    /// The event content, JSON text as the gateway checked it.
    pub content: String,
    /// Set for PUT: the first response for this key is replayed to repeats.
    pub txn: Option<TxnKey>,
}

impl NoticesService {
    /// The service over `store`, doing room operations through `membership`, with its
    /// batching task on `tasks` (see `batch.rs`).
    pub fn new(
        config: Arc<Config>,
        store: NoticeStore,
        membership: GrpcChannel,
        tasks: &TaskTracker,
    ) -> Self {
        let system_user = config.server_notices_user_id();
        let rooms = RoomsClient::new(Transport::from(membership));
        Self {
            inner: Arc::new(Inner {
                config,
                store,
                batcher: Batcher::start(rooms.clone(), tasks),
                rooms,
                system_user,
                cache: moka::sync::Cache::new(ROOM_CACHE_CAPACITY),
                resolving: Mutex::new(HashMap::new()),
            }),
        }
    }

    /// The system user that sends notices.
    pub fn system_user(&self) -> &str {
        &self.inner.system_user
    }

    fn rooms(&self) -> RoomsClient<Transport> {
        self.inner.rooms.clone()
    }

    fn display_name(&self) -> &str {
        &self.inner.config.server_notices.display_name
    }

    /// Sends a notice, idempotently when it carries a transaction key.
    pub(crate) async fn send_notice(&self, notice: Notice) -> Result<TxnResponse> {
        match &notice.txn {
            Some(key) => self.send_once(key, &notice).await,
            None => self.deliver(&notice).await,
        }
    }

    /// The user's notice room, if any.
    pub(crate) async fn notice_room(&self, user_id: &OwnedUserId) -> Result<Option<OwnedRoomId>> {
        if let Some(room) = self.inner.cache.get(user_id) {
            return Ok(Some(room));
        }
        Ok(self.inner.store.room_of(user_id).await?.map(|r| r.room_id))
    }

    /// Room, then (batched with concurrent notices) re-invite and event. A room that
    /// membership-svc no longer knows (deleted and purged by an admin) is forgotten and
    /// the notice goes to a new room: membership-svc owns rooms, so its 404 is the signal
    /// (no cross-service call from the deletion job; each replica learns on its next
    /// send).
    async fn deliver(&self, notice: &Notice) -> Result<TxnResponse> {
        match self.deliver_once(notice).await {
            Err(Error::Membership(error)) if is_room_gone(&error) => {
                if let Some(room_id) = self.inner.cache.get(&notice.user_id) {
                    self.inner.cache.invalidate(&notice.user_id);
                    self.inner
                        .store
                        .forget_room(&notice.user_id, &room_id)
                        .await?;
                } else if let Some(room) = self.inner.store.room_of(&notice.user_id).await? {
                    self.inner
                        .store
                        .forget_room(&notice.user_id, &room.room_id)
                        .await?;
                }
                tracing::info!(user = %notice.user_id, "notice room is gone; using a new one");
                self.deliver_once(notice).await
            }
            other => other,
        }
    }

    async fn deliver_once(&self, notice: &Notice) -> Result<TxnResponse> {
        let room_id = self.room_for(&notice.user_id).await?;
        let item = mpb::NoticeItem {
            room_id: room_id.to_string(),
            sender: self.inner.system_user.clone(),
            target: notice.user_id.to_string(),
            r#type: notice.event_type.clone(),
            state_key: notice.state_key.clone(),
            content: notice.content.clone(),
        };
        let event_id = self.inner.batcher.send(item).await?;
        Ok(TxnResponse {
            event_id: OwnedEventId::try_from(event_id.as_str()).map_err(|_| Error::BadAnswer {
                what: "event ID",
                value: event_id,
            })?,
            room_id,
        })
    }
}

/// membership-svc's answer for a room it does not know (`Room not found`).
fn is_room_gone(error: &matrix_status::MatrixError) -> bool {
    error.status == 404 && error.errcode == matrix_status::errcode::NOT_FOUND
}
