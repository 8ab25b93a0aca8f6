//! What a job is, once decoded from its row, and what planning and applying return.

use bailiff_domain::{JobKind, JobStatus, OwnedRoomId, OwnedUserId};
use rand::RngExt;

use super::jobs::JobRow;
use crate::error::Error;

/// What a job evacuates: its kind and its target in one value, so a room job cannot
/// carry a user ID.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Target {
    /// Every local joined member of the room leaves it.
    Room(OwnedRoomId),
    /// The user leaves every joined room and rejects every invite.
    User(OwnedUserId),
    /// The room is deleted: members leave, then (optionally) it is purged
    /// (`super::deletion`).
    RoomDeletion(OwnedRoomId),
}

impl Target {
    /// The job kind this target makes.
    pub fn kind(&self) -> JobKind {
        match self {
            Self::Room(_) => JobKind::Room,
            Self::User(_) => JobKind::User,
            Self::RoomDeletion(_) => JobKind::RoomDeletion,
        }
    }

    /// The ID, as stored in the `target` column.
    pub fn as_str(&self) -> &str {
        match self {
            Self::Room(room_id) | Self::RoomDeletion(room_id) => room_id.as_str(),
            Self::User(user_id) => user_id.as_str(),
        }
    }

    /// Decodes a stored (kind, target) pair.
    pub fn decode(kind: &str, target: &str) -> Result<Self, Error> {
        let corrupt =
            |what: &str| Error::CorruptRow(format!("job target {target:?} is not a {what}"));
        Ok(match kind.parse::<JobKind>()? {
            JobKind::Room => {
                Self::Room(OwnedRoomId::try_from(target).map_err(|_| corrupt("room ID"))?)
            }
            JobKind::User => {
                Self::User(OwnedUserId::try_from(target).map_err(|_| corrupt("user ID"))?)
            }
            JobKind::RoomDeletion => {
                Self::RoomDeletion(OwnedRoomId::try_from(target).map_err(|_| corrupt("room ID"))?)
            }
        })
    }
}

/// A job record (without its affected set, which lives in the chunks).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Job {
    /// 32 random hex digits.
    pub job_id: String,
    /// What is evacuated (kind and ID).
    pub target: Target,
    /// Where the job is in its life.
    pub status: JobStatus,
    /// Entries of the affected set.
    pub total: i64,
    /// Entries whose chunk was applied.
    pub done: i64,
    /// Entries whose chunk failed.
    pub failed: i64,
    /// Milliseconds since the Unix epoch.
    pub created_ts: i64,
    /// Set once the job is complete or failed.
    pub finished_ts: Option<i64>,
    /// JSON object: the W3C trace context of the request that planned the job.
    pub trace_context: String,
}

impl Job {
    /// Complete or failed: nothing more will happen to it.
    pub fn is_finished(&self) -> bool {
        self.status.is_final()
    }

    /// What the job works through.
    pub fn kind(&self) -> JobKind {
        self.target.kind()
    }
}

impl TryFrom<JobRow> for Job {
    type Error = Error;

    fn try_from(row: JobRow) -> Result<Self, Self::Error> {
        Ok(Self {
            target: Target::decode(&row.kind, &row.target)?,
            status: row.status.parse()?,
            job_id: row.job_id,
            total: row.total,
            done: row.done,
            failed: row.failed,
            created_ts: row.created_ts,
            finished_ts: row.finished_ts,
            trace_context: row.trace_context,
        })
    }
}

/// A planned (or found) job and its affected set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Planned {
    /// The job.
    pub job: Job,
    /// User IDs (room job) or room IDs (user job), in planning order.
    pub affected: Vec<String>,
    /// True when an already queued or running job was returned.
    pub existing: bool,
}

/// What applying one delivery of a chunk did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Applied {
    /// The chunk was pending: `events` leave events were appended and it now counts.
    Done {
        /// Leave events appended.
        events: usize,
        /// The job after the chunk counted.
        job: Job,
    },
    /// The job's row does not decode (an unknown kind, e.g. one written by a newer
    /// version): nothing was applied, and the chunk was failed at once, counting its
    /// `size` entries as failed, since no redelivery could apply it either.
    Undecodable {
        /// Entries of the chunk, now counted as failed.
        size: i64,
    },
    /// The chunk was already settled (a redelivery) or is unknown: nothing changed.
    AlreadySettled,
    /// A purge chunk that stays pending: it waits for the job's leave chunks (whose last
    /// one queues it again), or it used up its time slice and queued its continuation
    /// (`super::deletion`).
    Deferred,
}

/// `404 M_NOT_FOUND` for an unknown job.
pub(crate) fn job_not_found() -> Error {
    Error::not_found("Job not found")
}

/// A job ID: 32 random hex digits.
pub(super) fn new_job_id() -> String {
    format!("{:032x}", rand::rng().random::<u128>())
}
