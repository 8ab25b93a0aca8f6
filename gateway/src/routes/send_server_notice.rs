//! `POST /_synapse/admin/v1/send_server_notice` and
//! `PUT /_synapse/admin/v1/send_server_notice/{txnId}` (admin): validated here in the
//! order `docs/http-api.md` pins, then sent by notices-svc.
//!
//! A PUT whose txnId this admin device already used answers the first response whatever
//! the body: a valid body reaches notices-svc, which returns the stored response; a body
//! that would be refused first asks notices-svc for a stored response.

use axum::Json;
use axum::extract::State;
use bailiff_proto::notices::notices_client::NoticesClient;
use bailiff_proto::notices::{GetTransactionRequest, SendNoticeRequest, TransactionKey};
use matrix_status::{MatrixError, errcode};
use serde::Deserialize;
use serde_json::{Map, Value};

use super::EventIdResponse;
use crate::auth::{AdminUser, AuthedUser};
use crate::error::ApiResult;
use crate::extract::{Field, JsonBody, PathParams, ids};
use crate::state::AppState;
use bailiff_proto::transport::{Transport, transport};

/// The default (and body-checked) notice type.
const MESSAGE: &str = "m.room.message";

/// The body, decoded field by field in the pinned order.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct NoticeBody {
    /// A local user.
    #[schema(value_type = String, required = true)]
    #[serde(default)]
    pub user_id: Field<String>,
    /// With the default type, `body` and `msgtype` must be strings.
    #[schema(value_type = Object, required = true)]
    #[serde(default)]
    pub content: Field<Map<String, Value>>,
    /// Defaults to `m.room.message`.
    #[serde(rename = "type")]
    #[schema(value_type = Option<String>)]
    #[serde(default)]
    pub kind: Field<String>,
    /// Sends a state event when set.
    #[schema(value_type = Option<String>)]
    #[serde(default)]
    pub state_key: Field<String>,
}

fn notices(state: &AppState) -> NoticesClient<Transport> {
    NoticesClient::new(transport(state.notices.clone()))
}

/// Sends a notice.
pub async fn post(
    State(state): State<AppState>,
    AdminUser(_admin): AdminUser,
    body: JsonBody,
) -> ApiResult<Json<EventIdResponse>> {
    let request = validate(&state, body).await?;
    send(&state, request).await
}

/// Sends a notice once per transaction ID.
pub async fn put(
    State(state): State<AppState>,
    AdminUser(admin): AdminUser,
    params: PathParams,
    body: JsonBody,
) -> ApiResult<Json<EventIdResponse>> {
    let txn = transaction_key(&admin, params.get("txnId")?);
    match validate(&state, body).await {
        Ok(mut request) => {
            request.txn = Some(txn);
            send(&state, request).await
        }
        Err(refused) => {
            let stored = notices(&state)
                .get_transaction(GetTransactionRequest { txn: Some(txn) })
                .await;
            match stored.map(|r| r.into_inner().event_id) {
                Ok(Some(event_id)) => Ok(Json(EventIdResponse { event_id })),
                _ => Err(refused),
            }
        }
    }
}

fn transaction_key(admin: &AuthedUser, txn_id: String) -> TransactionKey {
    TransactionKey {
        user_id: admin.user_id.to_string(),
        device_id: admin.device_id.clone(),
        txn_id,
    }
}

async fn send(state: &AppState, request: SendNoticeRequest) -> ApiResult<Json<EventIdResponse>> {
    let sent = notices(state).send_notice(request).await?.into_inner();
    Ok(Json(EventIdResponse {
        event_id: sent.event_id,
    }))
}

/// The checks of `docs/http-api.md`, in order; the request for notices-svc when all pass.
async fn validate(state: &AppState, body: JsonBody) -> ApiResult<SendNoticeRequest> {
    // `user_id` and `content` are required, so an empty body is not `{}` (issue 11).
    let body: NoticeBody = body.parse_required()?;
    if !body.user_id.is_present() {
        return Err(MatrixError::missing_param("Missing parameter: user_id").into());
    }
    if !body.content.is_present() {
        return Err(MatrixError::missing_param("Missing parameter: content").into());
    }
    if !state.config.server_notices.enabled {
        return Err(MatrixError::bad_request(
            errcode::UNKNOWN,
            "Server notices are not enabled on this server",
        )
        .into());
    }
    let user_id = body
        .user_id
        .lenient()
        .ok_or_else(|| MatrixError::invalid_param("Invalid user ID"))?;
    let user_id = ids::parse_user_id(&user_id)?;
    if !ids::is_local(&user_id, state.server_name()) {
        return Err(
            MatrixError::invalid_param("Server notices can only be sent to local users").into(),
        );
    }
    state
        .known_users
        .require(&state.accounts(), &user_id, || {
            MatrixError::not_found("User not found")
        })
        .await?;
    let content = body
        .content
        .lenient()
        .ok_or_else(|| MatrixError::bad_json("content must be a JSON object"))?;
    let event_type = body
        .kind
        .optional("type")?
        .unwrap_or_else(|| MESSAGE.to_owned());
    let state_key = body.state_key.optional("state_key")?;
    if event_type.is_empty() {
        return Err(MatrixError::invalid_param("type must not be empty").into());
    }
    if event_type == MESSAGE {
        for key in ["body", "msgtype"] {
            if !content.get(key).is_some_and(Value::is_string) {
                return Err(MatrixError::bad_json(format!("'{key}' not a string type")).into());
            }
        }
    }
    Ok(SendNoticeRequest {
        user_id: user_id.to_string(),
        r#type: event_type,
        state_key,
        content: Value::Object(content).to_string(),
        txn: None,
    })
}
