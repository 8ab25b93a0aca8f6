//! The generated `Evacuations` gRPC service over [`Evacuator`].

use bailiff_database::fault;
use bailiff_proto::membership as pb;
use bailiff_proto::membership::evacuations_server::Evacuations;
use bailiff_telemetry::propagation;
use tonic::{Request, Response, Status};

use super::{Error, Evacuator, JobRow, Kind, job_not_found};

/// The gRPC face of evacuation jobs; cheap to clone.
#[derive(Clone)]
pub struct EvacuationsService {
    evacuator: Evacuator,
}

impl EvacuationsService {
    pub fn new(evacuator: Evacuator) -> Self {
        Self { evacuator }
    }

    /// The evacuator behind the service (for tests and tooling).
    pub fn evacuator(&self) -> &Evacuator {
        &self.evacuator
    }

    async fn evacuate(&self, kind: Kind, target: &str, wait: bool) -> Result<pb::Job, Error> {
        let trace = propagation::context_map(&tracing::Span::current());
        let planned = self.evacuator.plan(kind, target, &trace).await?;
        let mut job = planned.job;
        if wait && !job.is_finished() {
            job = self.evacuator.wait(&job.job_id).await?;
        }
        Ok(to_pb(job, planned.affected, planned.existing))
    }
}

fn to_pb(job: JobRow, affected: Vec<String>, existing: bool) -> pb::Job {
    pb::Job {
        job_id: job.job_id,
        kind: job.kind,
        target: job.target,
        status: job.status,
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
        Ok(Response::new(
            self.evacuate(Kind::Room, &request.room_id, request.wait)
                .await?,
        ))
    }

    async fn evacuate_user(
        &self,
        request: Request<pb::EvacuateUserRequest>,
    ) -> Result<Response<pb::Job>, Status> {
        let request = request.into_inner();
        Ok(Response::new(
            self.evacuate(Kind::User, &request.user_id, request.wait)
                .await?,
        ))
    }

    async fn get_job(
        &self,
        request: Request<pb::GetJobRequest>,
    ) -> Result<Response<pb::Job>, Status> {
        let job_id = request.into_inner().job_id;
        match self.evacuator.job(&job_id).await {
            Ok(Some((job, affected))) => Ok(Response::new(to_pb(job, affected, false))),
            Ok(None) => Err(job_not_found().into()),
            Err(error) => Err(fault(error).into()),
        }
    }
}
