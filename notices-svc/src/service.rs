//! The generated `Notices` gRPC service: finds or creates the notice room through
//! membership-svc, re-invites, keeps the system user's display name current, sends the
//! event, and makes PUT transactions idempotent.

use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bailiff_config::Config;
use bailiff_database::fault;
use bailiff_domain::now_ms;
use bailiff_proto::channel::GrpcChannel;
use bailiff_proto::membership as mpb;
use bailiff_proto::membership::rooms_client::RoomsClient;
use bailiff_proto::notices as pb;
use bailiff_proto::notices::notices_server::Notices;
use matrix_status::{MatrixError, errcode};
use serde_json::json;
use tokio_util::task::TaskTracker;
use tonic::{Request, Response, Status};

use crate::batch::Batcher;
use crate::store::{NoticeRoom, NoticeStore, RoomClaim, TxnClaim, TxnKey, TxnResponse, TxnState};
use bailiff_proto::transport::Transport;

/// The tag notice rooms carry in the target's room account data.
pub const SERVER_NOTICE_TAG: &str = "m.server_notice";

/// A claim (room creation or transaction) older than this is presumed abandoned by a
/// replica that died, and may be taken over.
const STALE_CLAIM: Duration = Duration::from_secs(30);

/// How long a request waits for another's claim before giving up with 503.
const WAIT_LIMIT: Duration = Duration::from_secs(40);

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
    cache: moka::sync::Cache<String, Arc<str>>,
    /// One in-process resolver per user, so concurrent first notices on this replica
    /// wait on a lock instead of polling the database.
    resolving: Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>,
    /// Groups concurrent notices into one `SendNotices` call (one write transaction).
    batcher: Batcher,
}

type Result<T> = std::result::Result<T, MatrixError>;

fn db(error: sqlx::Error) -> MatrixError {
    fault(error)
}

fn rpc(status: Status) -> MatrixError {
    MatrixError::from_status(&status)
}

fn disabled() -> MatrixError {
    MatrixError::bad_request(
        errcode::UNKNOWN,
        "Server notices are not enabled on this server",
    )
}

fn gave_up() -> MatrixError {
    tracing::warn!("gave up waiting for a concurrent server-notice request");
    MatrixError::unavailable()
}

impl NoticesService {
    /// The service, with its batching task on `tasks` (see `batch.rs`).
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

    /// Sends a notice, idempotently when `txn` is set.
    pub async fn send_notice(&self, request: pb::SendNoticeRequest) -> Result<TxnResponse> {
        if !self.inner.config.server_notices.enabled {
            return Err(disabled());
        }
        if request.user_id.is_empty() {
            return Err(MatrixError::missing_param("Missing parameter: user_id"));
        }
        let Some(key) = request.txn.as_ref().map(|t| TxnKey {
            user_id: t.user_id.clone(),
            device_id: t.device_id.clone(),
            txn_id: t.txn_id.clone(),
        }) else {
            return self.deliver(&request).await;
        };
        let token = new_token();
        let store = &self.inner.store;
        let claimed = wait_for(|| async {
            let now = now_ms();
            Ok(
                match store
                    .claim_txn(&key, &token, now, now - STALE_CLAIM.as_millis() as i64)
                    .await
                    .map_err(db)?
                {
                    TxnClaim::Done(response) => Some(Some(response)),
                    TxnClaim::Claimed => Some(None),
                    TxnClaim::Busy => None,
                },
            )
        })
        .await?;
        if let Some(first) = claimed {
            return Ok(first);
        }
        match self.deliver(&request).await {
            Ok(response) => {
                match store.complete_txn(&key, &token, &response).await {
                    Ok(true) => {}
                    Ok(false) => {
                        tracing::warn!("transaction claim was taken over before completion")
                    }
                    // The notice is out; report it rather than invite a resend.
                    Err(error) => tracing::warn!(%error, "could not record the transaction"),
                }
                Ok(response)
            }
            Err(error) => {
                if let Err(release) = store.release_txn(&key, &token).await {
                    tracing::warn!(error = %release, "could not release a failed transaction");
                }
                Err(error)
            }
        }
    }

    /// The stored response of a transaction; waits while it is in flight.
    pub async fn get_transaction(&self, key: &TxnKey) -> Result<Option<TxnResponse>> {
        let store = &self.inner.store;
        wait_for(|| async {
            Ok(match store.txn_state(key).await.map_err(db)? {
                TxnState::Absent => Some(None),
                TxnState::Done(response) => Some(Some(response)),
                TxnState::Pending { claimed_ts }
                    if claimed_ts < now_ms() - STALE_CLAIM.as_millis() as i64 =>
                {
                    Some(None)
                }
                TxnState::Pending { .. } => None,
            })
        })
        .await
    }

    /// The user's notice room, if any.
    pub async fn notice_room(&self, user_id: &str) -> Result<Option<String>> {
        if let Some(room) = self.inner.cache.get(user_id) {
            return Ok(Some(room.to_string()));
        }
        Ok(self
            .inner
            .store
            .room_of(user_id)
            .await
            .map_err(db)?
            .map(|r| r.room_id))
    }

    /// Room, then (batched with concurrent notices) re-invite and event.
    async fn deliver(&self, request: &pb::SendNoticeRequest) -> Result<TxnResponse> {
        let user = request.user_id.as_str();
        let room_id = self.room_for(user).await?;
        let event_type = if request.r#type.is_empty() {
            "m.room.message"
        } else {
            request.r#type.as_str()
        };
        let item = mpb::NoticeItem {
            room_id: room_id.to_string(),
            sender: self.inner.system_user.clone(),
            target: user.to_owned(),
            r#type: event_type.to_owned(),
            state_key: request.state_key.clone(),
            content: request.content.clone(),
        };
        let event_id = self.inner.batcher.send(item).await?;
        Ok(TxnResponse {
            event_id,
            room_id: room_id.to_string(),
        })
    }

    /// The user's notice room: from the cache, the database, or created.
    async fn room_for(&self, user: &str) -> Result<Arc<str>> {
        if let Some(room) = self.inner.cache.get(user) {
            return Ok(room);
        }
        let lock = {
            let mut resolving = self
                .inner
                .resolving
                .lock()
                .unwrap_or_else(|p| p.into_inner());
            Arc::clone(resolving.entry(user.to_owned()).or_default())
        };
        let result = {
            let _guard = lock.lock().await;
            match self.inner.cache.get(user) {
                Some(room) => Ok(room),
                None => self.resolve_room(user).await.map(|room_id| {
                    let room: Arc<str> = room_id.into();
                    self.inner.cache.insert(user.to_owned(), Arc::clone(&room));
                    room
                }),
            }
        };
        let mut resolving = self
            .inner
            .resolving
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        if resolving
            .get(user)
            .is_some_and(|current| Arc::ptr_eq(current, &lock))
        {
            resolving.remove(user);
        }
        result
    }

    /// Reads the mapping or wins the claim and creates the room; losers wait for the
    /// winner's room ID. Then brings the system member event up to date.
    async fn resolve_room(&self, user: &str) -> Result<String> {
        let store = &self.inner.store;
        let token = new_token();
        let outcome = wait_for(|| async {
            if let Some(room) = store.room_of(user).await.map_err(db)? {
                return Ok(Some(Some(room)));
            }
            let now = now_ms();
            Ok(
                match store
                    .claim_room(user, &token, now, now - STALE_CLAIM.as_millis() as i64)
                    .await
                    .map_err(db)?
                {
                    RoomClaim::Room(room) => Some(Some(room)),
                    RoomClaim::Claimed => Some(None),
                    RoomClaim::Busy => None,
                },
            )
        })
        .await?;
        let room = match outcome {
            Some(room) => room,
            None => match self.create_or_adopt(user, &token).await {
                Ok(room) => room,
                Err(error) => {
                    if let Err(release) = store.release_room(user, &token).await {
                        tracing::warn!(error = %release, "could not release a room claim");
                    }
                    return Err(error);
                }
            },
        };
        self.sync_system_profile(user, &room).await?;
        Ok(room.room_id)
    }

    /// Under the claim: adopts the room membership-svc already knows for this user (a
    /// previous holder died after creating it), or creates one; then records it.
    async fn create_or_adopt(&self, user: &str, token: &str) -> Result<NoticeRoom> {
        let existing = self
            .rooms()
            .find_server_notice_room(mpb::FindServerNoticeRoomRequest {
                user_id: user.to_owned(),
            })
            .await
            .map_err(rpc)?
            .into_inner()
            .room_id;
        let (room_id, displayname) = match existing {
            // Unknown display name: the profile check that follows fixes it if needed.
            Some(room_id) => (room_id, None),
            None => (self.create_room(user).await?, Some(self.display_name())),
        };
        self.tag_room(user, &room_id).await?;
        let store = &self.inner.store;
        if store
            .set_room(user, token, &room_id, displayname)
            .await
            .map_err(db)?
        {
            return Ok(NoticeRoom {
                room_id,
                system_displayname: displayname.unwrap_or_default().to_owned(),
            });
        }
        // Our claim was taken over (we were too slow): the recorded room wins.
        tracing::warn!(%user, "notice room claim lost; using the recorded room");
        store
            .room_of(user)
            .await
            .map_err(db)?
            .ok_or_else(MatrixError::internal)
    }

    async fn create_room(&self, user: &str) -> Result<String> {
        let system = self.inner.system_user.as_str();
        let notices = &self.inner.config.server_notices;
        let created = self
            .rooms()
            .create_room(mpb::CreateRoomRequest {
                creator: system.to_owned(),
                name: Some(notices.room_name.clone()),
                topic: None,
                invite: vec![user.to_owned()],
                preset: "private_chat".into(),
                is_direct: false,
                visibility: "private".into(),
                creation_content: json!({"m.federate": false}).to_string(),
                initial_state: Vec::new(),
                power_level_content_override: json!({
                    "users": {system: 100, user: -10},
                    "events_default": 0,
                })
                .to_string(),
                server_notice_target: user.to_owned(),
                creator_displayname: Some(notices.display_name.clone()),
                room_version: String::new(),
            })
            .await
            .map_err(rpc)?
            .into_inner();
        Ok(created.room_id)
    }

    async fn tag_room(&self, user: &str, room_id: &str) -> Result<()> {
        self.rooms()
            .add_room_tag(mpb::AddRoomTagRequest {
                user_id: user.to_owned(),
                room_id: room_id.to_owned(),
                tag: SERVER_NOTICE_TAG.into(),
                content: json!({"order": 1.0}).to_string(),
            })
            .await
            .map_err(rpc)?;
        Ok(())
    }

    /// Puts the configured display name in the system user's member event when the
    /// recorded one differs (the configuration changed, or the room was adopted).
    async fn sync_system_profile(&self, user: &str, room: &NoticeRoom) -> Result<()> {
        let wanted = self.display_name();
        if room.system_displayname == wanted {
            return Ok(());
        }
        self.rooms()
            .join_room(mpb::JoinRoomRequest {
                room_id: room.room_id.clone(),
                user_id: self.inner.system_user.clone(),
                displayname: Some(wanted.to_owned()),
                avatar_url: None,
                update_profile: true,
            })
            .await
            .map_err(rpc)?;
        self.inner
            .store
            .set_system_displayname(user, wanted)
            .await
            .map_err(db)
    }
}

fn new_token() -> String {
    uuid::Uuid::new_v4().simple().to_string()
}

/// Polls `attempt` until it yields `Some`, backing off from 5 ms to 50 ms, for at most
/// [`WAIT_LIMIT`] (then 503).
async fn wait_for<T, F, Fut>(mut attempt: F) -> Result<T>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<Option<T>>>,
{
    let started = Instant::now();
    let mut delay = Duration::from_millis(5);
    loop {
        if let Some(value) = attempt().await? {
            return Ok(value);
        }
        if started.elapsed() > WAIT_LIMIT {
            return Err(gave_up());
        }
        tokio::time::sleep(delay).await;
        delay = (delay * 2).min(Duration::from_millis(50));
    }
}

fn reply<T>(result: Result<T>) -> std::result::Result<Response<T>, Status> {
    result.map(Response::new).map_err(Status::from)
}

fn txn_key(key: Option<pb::TransactionKey>) -> Result<TxnKey> {
    let key = key.ok_or_else(|| MatrixError::missing_param("txn is required"))?;
    Ok(TxnKey {
        user_id: key.user_id,
        device_id: key.device_id,
        txn_id: key.txn_id,
    })
}

#[tonic::async_trait]
impl Notices for NoticesService {
    async fn send_notice(
        &self,
        request: Request<pb::SendNoticeRequest>,
    ) -> std::result::Result<Response<pb::SendNoticeResponse>, Status> {
        reply(
            self.send_notice(request.into_inner())
                .await
                .map(|r| pb::SendNoticeResponse {
                    event_id: r.event_id,
                    room_id: r.room_id,
                }),
        )
    }

    async fn get_transaction(
        &self,
        request: Request<pb::GetTransactionRequest>,
    ) -> std::result::Result<Response<pb::GetTransactionResponse>, Status> {
        let result = async {
            let key = txn_key(request.into_inner().txn)?;
            self.get_transaction(&key).await
        }
        .await;
        reply(result.map(|r| pb::GetTransactionResponse {
            event_id: r.map(|r| r.event_id),
        }))
    }

    async fn get_notice_room(
        &self,
        request: Request<pb::GetNoticeRoomRequest>,
    ) -> std::result::Result<Response<pb::GetNoticeRoomResponse>, Status> {
        reply(
            self.notice_room(&request.into_inner().user_id)
                .await
                .map(|room_id| pb::GetNoticeRoomResponse { room_id }),
        )
    }
}
