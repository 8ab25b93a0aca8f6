//! The routes of room deletion, purge and block (`docs/http-api.md` §7, "Room deletion,
//! purge and block"). Every deletion is a `room_deletion` job of membership-svc's
//! evacuation engine (`Evacuations.DeleteRoom`); `delete_id` is the job ID.

use axum::routing::{delete, get, post};
use bailiff_domain::JobStatus;
use bailiff_proto::convert;
use bailiff_proto::membership::RoomDeletion;
use matrix_status::MatrixError;
use serde::Serialize;

use super::{DELETE, GET, GET_PUT, POST, Route, route};

pub mod block;
pub mod body;
pub mod delete_status_by_id;
pub mod delete_status_by_room;
pub mod delete_v1;
pub mod delete_v2;
pub mod purge_room;

/// The area's routes.
pub(super) fn routes() -> Vec<Route> {
    vec![
        route(
            "/_synapse/admin/v1/rooms/{roomId}",
            DELETE,
            delete(delete_v1::delete),
        ),
        route(
            "/_synapse/admin/v2/rooms/{roomId}",
            DELETE,
            delete(delete_v2::delete),
        ),
        route(
            "/_synapse/admin/v2/rooms/delete_status/{deleteId}",
            GET,
            get(delete_status_by_id::get),
        ),
        route(
            "/_synapse/admin/v2/rooms/{roomId}/delete_status",
            GET,
            get(delete_status_by_room::get),
        ),
        route(
            "/_synapse/admin/v1/rooms/{roomId}/block",
            GET_PUT,
            get(block::get).put(block::put),
        ),
        route(
            "/_dendrite/admin/purgeRoom/{roomID}",
            POST,
            post(purge_room::post),
        ),
    ]
}

/// What the shutdown part of a deletion did (Synapse's `ShutdownRoomResponse`).
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ShutdownRoom {
    /// Local users who left the room, in join order.
    pub kicked_users: Vec<String>,
    /// Local users whose leave could not be applied.
    pub failed_to_kick_users: Vec<String>,
    /// Always empty: bailiff keeps no room aliases.
    pub local_aliases: Vec<String>,
    /// The notification room, when `new_room_user_id` was given.
    pub new_room_id: Option<String>,
}

/// A deletion's status (`GET …/delete_status…`).
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct DeleteStatus {
    /// The job ID.
    pub delete_id: String,
    pub room_id: String,
    /// `scheduled`, `active`, `complete` or `failed`.
    pub status: &'static str,
    /// Only when `failed`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    pub shutdown_room: ShutdownRoom,
}

/// Synapse's spelling of a job status (its task scheduler's).
fn synapse_status(status: JobStatus) -> &'static str {
    match status {
        JobStatus::Queued => "scheduled",
        JobStatus::Running => "active",
        JobStatus::Complete => "complete",
        JobStatus::Failed => "failed",
    }
}

impl From<RoomDeletion> for ShutdownRoom {
    fn from(deletion: RoomDeletion) -> Self {
        Self {
            kicked_users: deletion.kicked_users,
            failed_to_kick_users: deletion.failed_to_kick_users,
            local_aliases: Vec::new(),
            new_room_id: deletion.new_room_id,
        }
    }
}

/// A deletion whose job membership-svc did not fill in is that service's fault:
/// `500 M_UNKNOWN`, the detail logged.
impl TryFrom<RoomDeletion> for DeleteStatus {
    type Error = MatrixError;

    fn try_from(mut deletion: RoomDeletion) -> Result<Self, Self::Error> {
        let Some(job) = deletion.job.take() else {
            tracing::error!("membership-svc sent a deletion without its job");
            return Err(MatrixError::internal());
        };
        let status = convert::job_status(job.status).map_err(|error| {
            tracing::error!(%error, job_id = %job.job_id, "membership-svc sent an undecodable job");
            MatrixError::internal()
        })?;
        let error = (status == JobStatus::Failed).then(|| {
            format!(
                "Room deletion job {} failed: {} of {} could not be processed",
                job.job_id, job.failed, job.total
            )
        });
        Ok(Self {
            delete_id: job.job_id,
            room_id: std::mem::take(&mut deletion.room_id),
            status: synapse_status(status),
            error,
            shutdown_room: deletion.into(),
        })
    }
}
