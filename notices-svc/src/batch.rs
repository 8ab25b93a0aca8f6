//! Group commit for notices: concurrent notices queue here and go to membership-svc as
//! one `SendNotices` call, which appends them all in one write transaction. Writes to
//! the room stream are serialized (one stream lock, one commit each), so one
//! transaction per batch instead of one per notice is what lets throughput grow with
//! concurrency. A lone notice is sent at once (a batch of one).
//!
//! One batch is in flight at a time: notices that arrive meanwhile make the next batch
//! bigger. Measured on PostgreSQL (docs/benchmarks.md), two or four batches in flight
//! were slower, 1,200 → 2,000 → 2,900 notices/s at concurrency 16 for four, two and one:
//! concurrent batches only queue on the stream lock, and the waiting costs more than
//! overlapping their network round trips saves.

use bailiff_proto::membership::rooms_client::RoomsClient;
use bailiff_proto::membership::{NoticeItem, SendNoticesRequest};
use matrix_status::{MatrixError, errcode};

use crate::error::Error;
use tokio::sync::{mpsc, oneshot};
use tokio_util::task::TaskTracker;

use bailiff_proto::transport::Transport;

/// Most notices in one `SendNotices` call.
const MAX_BATCH: usize = 256;

/// Queued notices waiting for a batch.
const QUEUE: usize = 4096;

type Reply = oneshot::Sender<Result<String, Error>>;

/// Handle to the batching task; cheap to clone. The task ends when every handle is gone.
#[derive(Clone)]
pub struct Batcher {
    queue: mpsc::Sender<(NoticeItem, Reply)>,
}

impl Batcher {
    /// Starts the batching task on `tasks` (needs a Tokio runtime). It needs no
    /// cancellation token: it ends once the service holding the handles is dropped and
    /// the notices already queued are sent, so a shutdown that waits for `tasks` does not
    /// cut a batch short.
    pub fn start(rooms: RoomsClient<Transport>, tasks: &TaskTracker) -> Self {
        let (queue, receiver) = mpsc::channel(QUEUE);
        tasks.spawn(run(rooms, receiver));
        Self { queue }
    }

    /// Sends one notice; its event ID, or its own error.
    pub async fn send(&self, item: NoticeItem) -> Result<String, Error> {
        let (reply, answer) = oneshot::channel();
        self.queue
            .send((item, reply))
            .await
            .map_err(|_| Error::BatcherStopped)?;
        answer.await.map_err(|_| Error::BatcherStopped)?
    }
}

async fn run(rooms: RoomsClient<Transport>, mut receiver: mpsc::Receiver<(NoticeItem, Reply)>) {
    let mut batch = Vec::with_capacity(MAX_BATCH);
    loop {
        if receiver.recv_many(&mut batch, MAX_BATCH).await == 0 {
            return;
        }
        let (items, replies): (Vec<NoticeItem>, Vec<Reply>) =
            std::mem::take(&mut batch).into_iter().unzip();
        let sent = rooms
            .clone()
            .send_notices(SendNoticesRequest { items })
            .await;
        match sent {
            Ok(response) => {
                let mut results = response.into_inner().results.into_iter();
                for reply in replies {
                    let outcome = match results.next() {
                        Some(result) if result.errcode.is_empty() => Ok(result.event_id),
                        Some(result) => Err(Error::Membership(MatrixError::new(
                            u16::try_from(result.http_status).unwrap_or(500),
                            known_errcode(&result.errcode),
                            result.error,
                        ))),
                        None => Err(Error::BadAnswer {
                            what: "SendNotices result count",
                            value: "fewer results than notices".to_owned(),
                        }),
                    };
                    let _ = reply.send(outcome);
                }
            }
            Err(status) => {
                let error = MatrixError::from_status(&status);
                for reply in replies {
                    let _ = reply.send(Err(Error::Membership(error.clone())));
                }
            }
        }
    }
}

/// The errcodes `SendNotices` can report per item; anything else is `M_UNKNOWN`.
fn known_errcode(code: &str) -> &'static str {
    [
        errcode::FORBIDDEN,
        errcode::NOT_FOUND,
        errcode::BAD_JSON,
        errcode::INVALID_PARAM,
        errcode::TOO_LARGE,
        errcode::UNAVAILABLE,
    ]
    .into_iter()
    .find(|known| *known == code)
    .unwrap_or(errcode::UNKNOWN)
}
