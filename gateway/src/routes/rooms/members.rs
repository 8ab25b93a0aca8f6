//! `GET /_matrix/client/{r0,v3}/rooms/{roomId}/joined_members` and `…/members`
//! (`membership`, `not_membership` filters).

use axum::Json;
use axum::extract::{RawQuery, State};
use bailiff_proto::membership::{GetJoinedMembersRequest, GetMembersRequest, Membership};
use matrix_status::MatrixError;
use serde_json::{Map, Value, json};

use super::{Query, client_events, room_id_param, rooms};
use crate::auth::AuthedUser;
use crate::error::ApiResult;
use crate::extract::PathParams;
use crate::state::AppState;

pub async fn joined(
    State(state): State<AppState>,
    user: AuthedUser,
    params: PathParams,
) -> ApiResult<Json<Value>> {
    let room_id = room_id_param(&params, "roomId")?;
    let members = rooms(&state)
        .get_joined_members(GetJoinedMembersRequest {
            room_id,
            requester: user.user_id.clone(),
        })
        .await?
        .into_inner();
    let joined: Map<String, Value> = members
        .joined
        .into_iter()
        .map(|m| {
            (
                m.user_id,
                json!({ "display_name": m.display_name, "avatar_url": m.avatar_url }),
            )
        })
        .collect();
    Ok(Json(json!({ "joined": joined })))
}

fn membership_filter(query: &Query, key: &str) -> Result<i32, MatrixError> {
    match query.get(key).map(str::parse::<bailiff_domain::Membership>) {
        None => Ok(Membership::Unspecified.into()),
        Some(Ok(membership)) => Ok(Membership::from(membership).into()),
        Some(Err(_)) => Err(MatrixError::invalid_param(format!("Invalid {key}"))),
    }
}

pub async fn get(
    State(state): State<AppState>,
    user: AuthedUser,
    params: PathParams,
    query: RawQuery,
) -> ApiResult<Json<Value>> {
    let room_id = room_id_param(&params, "roomId")?;
    let query = Query::new(query);
    let membership = membership_filter(&query, "membership")?;
    let not_membership = membership_filter(&query, "not_membership")?;
    let members = rooms(&state)
        .get_members(GetMembersRequest {
            room_id,
            requester: user.user_id.clone(),
            membership,
            not_membership,
        })
        .await?
        .into_inner();
    Ok(Json(json!({ "chunk": client_events(members.chunk) })))
}
