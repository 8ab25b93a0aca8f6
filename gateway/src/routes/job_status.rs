//! `GET /_dendrite/admin/jobs/{jobId}` (admin): an evacuation job's record (API.md §6),
//! plus the replies the evacuate endpoints share.

use axum::Json;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use bailiff_proto::convert;
use bailiff_proto::membership::evacuations_client::EvacuationsClient;
use bailiff_proto::membership::{GetJobRequest, Job, JobStatus};
use http::StatusCode;
use matrix_status::MatrixError;
use serde_json::{Value, json};

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

pub async fn get(
    State(state): State<AppState>,
    AdminUser(_admin): AdminUser,
    params: PathParams,
) -> ApiResult<Json<Value>> {
    let job_id = params.get("jobId")?;
    let job = evacuations(&state)
        .get_job(GetJobRequest { job_id })
        .await?
        .into_inner();
    Ok(Json(job_json(job)))
}

/// The job as API.md §6 shows it; `finished_ts` is `null` until it is finished.
pub(crate) fn job_json(job: Job) -> Value {
    json!({
        "job_id": job.job_id,
        "kind": convert::job_kind(job.kind).ok().map(|kind| kind.as_str()),
        "target": job.target,
        "status": convert::job_status(job.status).ok().map(|status| status.as_str()),
        "total": job.total,
        "done": job.done,
        "failed": job.failed,
        "affected": job.affected,
        "created_ts": job.created_ts,
        "finished_ts": job.finished_ts,
    })
}

/// The reply of evacuateRoom/evacuateUser: `202 {"job_id", "affected"}` when asked to
/// run asynchronously, else (the job has finished) `200 {"affected"}`, or
/// `500 M_UNKNOWN` naming the job when some of its chunks could not be applied.
pub(crate) fn evacuation_reply(job: Job, asynchronous: bool) -> ApiResult<Response> {
    if asynchronous {
        let body = json!({ "job_id": job.job_id, "affected": job.affected });
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
    Ok(Json(json!({ "affected": job.affected })).into_response())
}
