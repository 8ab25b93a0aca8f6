//! The gRPC boundary: validates each request in the order the gateway's callers rely on
//! (`notices-svc/README.md`, "Who checks what"), parses its strings once into typed IDs,
//! and answers every failure through `crate::error` (`From<Error> for Status`).

use bailiff_domain::{OwnedDeviceId, OwnedUserId};
use bailiff_proto::notices as pb;
use bailiff_proto::notices::notices_server::Notices;
use tonic::{Request, Response, Status};

use super::{Notice, NoticesService};
use crate::error::{Error, Result};
use crate::store::TxnKey;

/// The event type of a notice whose request names none.
const DEFAULT_EVENT_TYPE: &str = "m.room.message";

impl NoticesService {
    /// Checks a `SendNotice` request: notices enabled, then a user present and valid.
    fn notice(&self, request: pb::SendNoticeRequest) -> Result<Notice> {
        if !self.inner.config.server_notices.enabled {
            return Err(Error::NoticesDisabled);
        }
        if request.user_id.is_empty() {
            return Err(Error::MissingUserId);
        }
        let event_type = if request.r#type.is_empty() {
            DEFAULT_EVENT_TYPE.to_owned()
        } else {
            request.r#type
        };
        Ok(Notice {
            user_id: user_id(request.user_id)?,
            event_type,
            state_key: request.state_key,
            content: request.content,
            txn: request.txn.map(txn_key).transpose()?,
        })
    }
}

fn user_id(value: String) -> Result<OwnedUserId> {
    OwnedUserId::try_from(value.as_str()).map_err(|_| Error::InvalidId {
        what: "user ID",
        value,
    })
}

fn txn_key(key: pb::TransactionKey) -> Result<TxnKey> {
    Ok(TxnKey {
        user_id: user_id(key.user_id)?,
        device_id: OwnedDeviceId::from(key.device_id),
        txn_id: key.txn_id,
    })
}

fn reply<T>(result: Result<T>) -> std::result::Result<Response<T>, Status> {
    result.map(Response::new).map_err(Status::from)
}

#[tonic::async_trait]
impl Notices for NoticesService {
    async fn send_notice(
        &self,
        request: Request<pb::SendNoticeRequest>,
    ) -> std::result::Result<Response<pb::SendNoticeResponse>, Status> {
        let result = async {
            let notice = self.notice(request.into_inner())?;
            let sent = NoticesService::send_notice(self, notice).await?;
            Ok(pb::SendNoticeResponse {
                event_id: sent.event_id.into(),
                room_id: sent.room_id.into(),
            })
        }
        .await;
        reply(result)
    }

    async fn get_transaction(
        &self,
        request: Request<pb::GetTransactionRequest>,
    ) -> std::result::Result<Response<pb::GetTransactionResponse>, Status> {
        let result = async {
            let key = txn_key(request.into_inner().txn.ok_or(Error::MissingTxn)?)?;
            let first = NoticesService::get_transaction(self, &key).await?;
            Ok(pb::GetTransactionResponse {
                event_id: first.map(|r| r.event_id.into()),
            })
        }
        .await;
        reply(result)
    }

    async fn get_notice_room(
        &self,
        request: Request<pb::GetNoticeRoomRequest>,
    ) -> std::result::Result<Response<pb::GetNoticeRoomResponse>, Status> {
        let result = async {
            let user_id = user_id(request.into_inner().user_id)?;
            let room_id = self.notice_room(&user_id).await?;
            Ok(pb::GetNoticeRoomResponse {
                room_id: room_id.map(Into::into),
            })
        }
        .await;
        reply(result)
    }
}
