//! The routes of Synapse users administration (`docs/http-api.md` §7, "Users (Synapse
//! admin API)"): the users list, one user, create-or-modify, deactivation, the admin flag,
//! devices, username availability, and the client-server profile the UIs read.
//!
//! Every endpoint answers Synapse's shapes and texts; one file per endpoint, the query
//! rules shared in [`crate::extract::synapse_query`] and the user shapes in [`shapes`].

use axum::routing::{get, post};
use bailiff_proto::accounts::accounts_client::AccountsClient;
use bailiff_proto::membership::EvacuateUserRequest;
use bailiff_proto::transport::Transport;
use matrix_status::{MatrixError, errcode};
use ruma_common::OwnedUserId;

use super::job_status::evacuations;
use super::{GET, GET_PUT, POST, Route, client, route};
use crate::error::{ApiError, ApiResult};
use crate::extract::{PathParams, ids};
use crate::state::AppState;

pub mod admin_flag;
pub mod deactivate;
pub mod delete_devices;
pub mod device;
pub mod devices;
pub mod list;
pub mod profile;
pub mod put_user;
pub mod shapes;
pub mod user;
pub mod username_available;

/// `GET`, `PUT` and `DELETE` of one device.
const GET_PUT_DELETE: &[&str] = &["GET", "PUT", "DELETE"];

/// The area's routes.
pub(super) fn routes() -> Vec<Route> {
    vec![
        route("/_synapse/admin/v2/users", GET, get(list::v2)),
        route("/_synapse/admin/v3/users", GET, get(list::v3)),
        route(
            "/_synapse/admin/v2/users/{userId}",
            GET_PUT,
            get(user::get).put(put_user::put),
        ),
        route(
            "/_synapse/admin/v1/deactivate/{userId}",
            POST,
            post(deactivate::post),
        ),
        route(
            "/_synapse/admin/v1/users/{userId}/admin",
            GET_PUT,
            get(admin_flag::get).put(admin_flag::put),
        ),
        route(
            "/_synapse/admin/v2/users/{userId}/devices",
            &["GET", "POST"],
            get(devices::get).post(devices::post),
        ),
        route(
            "/_synapse/admin/v2/users/{userId}/devices/{deviceId}",
            GET_PUT_DELETE,
            get(device::get).put(device::put).delete(device::delete),
        ),
        route(
            "/_synapse/admin/v2/users/{userId}/delete_devices",
            POST,
            post(delete_devices::post),
        ),
        route(
            "/_synapse/admin/v1/username_available",
            GET,
            get(username_available::get),
        ),
        client("/profile/{userId}", GET, get(profile::get)),
    ]
}

/// The `userId` path parameter, which must name a local user; `remote` is the text
/// Synapse answers for another server's user (`400 M_UNKNOWN`).
pub(crate) fn local_user(
    state: &AppState,
    params: &PathParams,
    remote: &str,
) -> Result<OwnedUserId, ApiError> {
    let user_id = params.user_id("userId")?;
    if !ids::is_local(&user_id, state.server_name()) {
        return Err(MatrixError::bad_request(errcode::UNKNOWN, remote).into());
    }
    Ok(user_id)
}

/// accounts-svc.
pub(crate) fn accounts(state: &AppState) -> AccountsClient<Transport> {
    state.accounts()
}

/// The user leaves every room and rejects every invite (membership-svc's `EvacuateUser`
/// job, waited for): the room half of a deactivation, after accounts-svc has done its
/// half.
pub(crate) async fn evacuate(state: &AppState, user_id: &OwnedUserId) -> ApiResult<()> {
    evacuations(state)
        .evacuate_user(EvacuateUserRequest {
            user_id: user_id.to_string(),
            wait: true,
        })
        .await?;
    Ok(())
}
