//! The generated `Evacuations` gRPC service over [`Evacuator`]. Request IDs are checked
//! here, once; a bad one is `INVALID_ARGUMENT` through [`Error`].

use bailiff_domain::{OwnedRoomId, OwnedUserId};
use bailiff_proto::membership as pb;
use bailiff_proto::membership::evacuations_server::Evacuations;
use bailiff_telemetry::propagation;
use tonic::{Request, Response, Status};

use super::deletion::{DeleteOptions, block_to_pb, deletion_to_pb};
use super::job::{Job, Target, job_not_found};
use super::{Deletion, Evacuator};
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
        Ok(job_to_pb(job, planned.affected, planned.existing))
    }

    async fn delete(&self, request: pb::DeleteRoomRequest) -> Result<pb::RoomDeletion, Error> {
        let room_id = OwnedRoomId::try_from(request.room_id)
            .map_err(|_| Error::invalid_argument("Invalid room ID"))?;
        let requester = OwnedUserId::try_from(request.requester)
            .map_err(|_| Error::invalid_argument("Invalid requester"))?;
        let new_room_user_id = request
            .new_room_user_id
            .map(|user| {
                OwnedUserId::try_from(user.as_str())
                    .map_err(|_| Error::invalid_argument(format!("Invalid user ID {user}")))
            })
            .transpose()?;
        let options = DeleteOptions {
            room_id,
            requester,
            block: request.block,
            purge: request.purge,
            new_room_user_id,
            room_name: request.room_name,
            message: request.message,
        };
        let trace = propagation::context_map(&tracing::Span::current());
        let mut deletion = self.evacuator.plan_deletion(&options, &trace).await?;
        if request.wait && !deletion.job.is_finished() {
            let existing = deletion.existing;
            self.evacuator.wait(&deletion.job.job_id).await?;
            deletion = Deletion {
                existing,
                ..self.deletion(&deletion.job.job_id).await?
            };
        }
        Ok(deletion_to_pb(deletion))
    }

    async fn deletion(&self, job_id: &str) -> Result<Deletion, Error> {
        self.evacuator
            .deletion(job_id)
            .await?
            .ok_or_else(|| Error::not_found(format!("delete id '{job_id}' not found")))
    }

    fn room_id(room_id: String) -> Result<OwnedRoomId, Error> {
        OwnedRoomId::try_from(room_id).map_err(|_| Error::invalid_argument("Invalid room ID"))
    }

    async fn get(&self, job_id: &str) -> Result<pb::Job, Error> {
        match self.evacuator.job(job_id).await? {
            Some((job, affected)) => Ok(job_to_pb(job, affected, false)),
            None => Err(job_not_found()),
        }
    }
}

/// A job as the proto carries it.
pub(super) fn job_to_pb(job: Job, affected: Vec<String>, existing: bool) -> pb::Job {
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

    async fn delete_room(
        &self,
        request: Request<pb::DeleteRoomRequest>,
    ) -> Result<Response<pb::RoomDeletion>, Status> {
        Ok(Response::new(self.delete(request.into_inner()).await?))
    }

    async fn get_room_deletion(
        &self,
        request: Request<pb::GetJobRequest>,
    ) -> Result<Response<pb::RoomDeletion>, Status> {
        let deletion = self.deletion(&request.into_inner().job_id).await?;
        Ok(Response::new(deletion_to_pb(deletion)))
    }

    async fn list_room_deletions(
        &self,
        request: Request<pb::ListRoomDeletionsRequest>,
    ) -> Result<Response<pb::ListRoomDeletionsResponse>, Status> {
        let room_id = Self::room_id(request.into_inner().room_id)?;
        let deletions = self.evacuator.deletions_of_room(&room_id).await?;
        Ok(Response::new(pb::ListRoomDeletionsResponse {
            deletions: deletions.into_iter().map(deletion_to_pb).collect(),
        }))
    }

    async fn get_room_block(
        &self,
        request: Request<pb::GetRoomBlockRequest>,
    ) -> Result<Response<pb::RoomBlock>, Status> {
        let room_id = Self::room_id(request.into_inner().room_id)?;
        let blocked_by = self.evacuator.room_blocked_by(&room_id).await?;
        Ok(Response::new(block_to_pb(blocked_by)))
    }

    async fn set_room_block(
        &self,
        request: Request<pb::SetRoomBlockRequest>,
    ) -> Result<Response<pb::RoomBlock>, Status> {
        let request = request.into_inner();
        let room_id = Self::room_id(request.room_id)?;
        let user_id = OwnedUserId::try_from(request.user_id)
            .map_err(|_| Error::invalid_argument("Invalid user ID"))?;
        self.evacuator
            .set_room_block(&room_id, request.block, &user_id)
            .await?;
        let blocked_by = self.evacuator.room_blocked_by(&room_id).await?;
        Ok(Response::new(block_to_pb(blocked_by)))
    }
}
