//! The generated `Evacuations` gRPC service over [`Evacuator`]. Request IDs are checked
//! here, once; a bad one is `INVALID_ARGUMENT` through [`Error`].

use bailiff_domain::{OwnedRoomId, OwnedUserId};
use bailiff_proto::membership as pb;
use bailiff_proto::membership::evacuations_server::Evacuations;
use bailiff_telemetry::propagation;
use tonic::{Request, Response, Status};

use super::Evacuator;
use super::job::{Job, Target, job_not_found};
use crate::error::Error;

/// The gRPC face of evacuation jobs; cheap to clone.
#[derive(Clone)]
pub struct EvacuationsService {
    evacuator: Evacuator,
}

impl EvacuationsService {
    /// The service over `evacuator`.
    pub fn new(evacuator: Evacuator) -> Self {
        Self { evacuator }
    }

    /// The evacuator behind the service (for tests and tooling).
    pub fn evacuator(&self) -> &Evacuator {
        &self.evacuator
    }

    async fn evacuate(&self, target: Target, wait: bool) -> Result<pb::Job, Error> {
        let trace = propagation::context_map(&tracing::Span::current());
        let planned = self.evacuator.plan(&target, &trace).await?;
        let mut job = planned.job;
        if wait && !job.is_finished() {
            job = self.evacuator.wait(&job.job_id).await?;
        }
        Ok(to_pb(job, planned.affected, planned.existing))
    }

    async fn get(&self, job_id: &str) -> Result<pb::Job, Error> {
        match self.evacuator.job(job_id).await? {
            Some((job, affected)) => Ok(to_pb(job, affected, false)),
            None => Err(job_not_found()),
        }
    }
}

fn to_pb(job: Job, affected: Vec<String>, existing: bool) -> pb::Job {
    pb::Job {
        kind: pb::JobKind::from(job.kind()).into(),
        job_id: job.job_id,
        target: job.target.as_str().to_owned(),
        status: pb::JobStatus::from(job.status).into(),
        total: job.total,
        done: job.done,
        failed: job.failed,
        affected,
        created_ts: job.created_ts,
        finished_ts: job.finished_ts,
        existing,
    }
}

#[tonic::async_trait]
impl Evacuations for EvacuationsService {
    async fn evacuate_room(
        &self,
        request: Request<pb::EvacuateRoomRequest>,
    ) -> Result<Response<pb::Job>, Status> {
        let request = request.into_inner();
        let room_id = OwnedRoomId::try_from(request.room_id)
            .map_err(|_| Error::invalid_argument("Invalid room ID"))?;
        Ok(Response::new(
            self.evacuate(Target::Room(room_id), request.wait).await?,
        ))
    }

    async fn evacuate_user(
        &self,
        request: Request<pb::EvacuateUserRequest>,
    ) -> Result<Response<pb::Job>, Status> {
        let request = request.into_inner();
        let user_id = OwnedUserId::try_from(request.user_id)
            .map_err(|_| Error::invalid_argument("Invalid user ID"))?;
        Ok(Response::new(
            self.evacuate(Target::User(user_id), request.wait).await?,
        ))
    }

    async fn get_job(
        &self,
        request: Request<pb::GetJobRequest>,
    ) -> Result<Response<pb::Job>, Status> {
        Ok(Response::new(self.get(&request.into_inner().job_id).await?))
    }
}
