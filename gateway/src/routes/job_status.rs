//! `GET /_dendrite/admin/jobs/{jobId}` (admin): an evacuation job's record
//! (`docs/http-api.md`), plus the replies the evacuate endpoints share.

use axum::Json;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use bailiff_domain::{JobKind, JobStatus as DomainJobStatus};
use bailiff_proto::convert;
use bailiff_proto::membership::evacuations_client::EvacuationsClient;
use bailiff_proto::membership::{GetJobRequest, Job, JobStatus};
use http::StatusCode;
use matrix_status::MatrixError;
use serde::Serialize;

use crate::auth::AdminUser;
use crate::error::ApiResult;
use crate::extract::PathParams;
use crate::state::AppState;
use bailiff_proto::transport::{Transport, transport};

/// A client for membership-svc's `Evacuations` service. Calls carry no deadline: an
/// evacuation waited for may run as long as the job does.
pub(crate) fn evacuations(state: &AppState) -> EvacuationsClient<Transport> {
    EvacuationsClient::new(transport(state.membership.clone()))
}

/// An evacuation job's record. Fields are in key order, as the untyped answer was
/// rendered.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct JobRecord {
    /// User IDs (room job) or room IDs (user job).
    pub affected: Vec<String>,
    /// Milliseconds since the epoch.
    pub created_ts: i64,
    /// Entries whose chunk was applied.
    pub done: i64,
    /// Entries whose chunk was dead-lettered.
    pub failed: i64,
    /// `null` until the job is complete or failed.
    pub finished_ts: Option<i64>,
    pub job_id: String,
    /// `room` or `user`.
    #[schema(value_type = String)]
    pub kind: JobKind,
    /// `queued`, `running`, `complete` or `failed`.
    #[schema(value_type = String)]
    pub status: DomainJobStatus,
    /// The room ID or user ID evacuated.
    pub target: String,
    /// Entries of `affected`.
    pub total: i64,
}

/// A job whose kind or status membership-svc did not fill in is a fault of that service,
/// not of the request: `500 M_UNKNOWN`, the detail logged.
impl TryFrom<Job> for JobRecord {
    type Error = MatrixError;

    fn try_from(job: Job) -> Result<Self, Self::Error> {
        let undecodable = |error: convert::Unspecified| {
            tracing::error!(%error, job_id = %job.job_id, "membership-svc sent an undecodable job");
            MatrixError::internal()
        };
        let kind = convert::job_kind(job.kind).map_err(undecodable)?;
        let status = convert::job_status(job.status).map_err(undecodable)?;
        Ok(Self {
            affected: job.affected,
            created_ts: job.created_ts,
            done: job.done,
            failed: job.failed,
            finished_ts: job.finished_ts,
            job_id: job.job_id,
            kind,
            status,
            target: job.target,
            total: job.total,
        })
    }
}

/// The answer of an evacuation run to the end.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct EvacuationDone {
    /// User IDs (room evacuation) or room IDs (user evacuation).
    pub affected: Vec<String>,
}

/// The answer of an evacuation started with `?async=true` (`202`).
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct EvacuationStarted {
    pub affected: Vec<String>,
    /// Poll `GET /_dendrite/admin/jobs/{jobId}` with it.
    pub job_id: String,
}

/// The job's record.
pub async fn get(
    State(state): State<AppState>,
    AdminUser(_admin): AdminUser,
    params: PathParams,
) -> ApiResult<Json<JobRecord>> {
    let job_id = params.get("jobId")?;
    let job = evacuations(&state)
        .get_job(GetJobRequest { job_id })
        .await?
        .into_inner();
    Ok(Json(JobRecord::try_from(job)?))
}

/// The reply of evacuateRoom/evacuateUser: `202 {"job_id", "affected"}` when asked to
/// run asynchronously, else (the job has finished) `200 {"affected"}`, or
/// `500 M_UNKNOWN` naming the job when some of its chunks could not be applied.
pub(crate) fn evacuation_reply(job: Job, asynchronous: bool) -> ApiResult<Response> {
    if asynchronous {
        let body = EvacuationStarted {
            affected: job.affected,
            job_id: job.job_id,
        };
        return Ok((StatusCode::ACCEPTED, Json(body)).into_response());
    }
    if job.status() == JobStatus::Failed {
        return Err(MatrixError::new(
            500,
            matrix_status::errcode::UNKNOWN,
            format!(
                "Evacuation job {} failed: {} of {} could not be processed",
                job.job_id, job.failed, job.total
            ),
        )
        .into());
    }
    Ok(Json(EvacuationDone {
        affected: job.affected,
    })
    .into_response())
}
