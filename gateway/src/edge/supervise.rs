//! Drives one connection and times it out.
//!
//! hyper's own HTTP/1 `header_read_timeout` starts whenever hyper waits for a head, idle
//! keep-alive included, so it would close every idle connection after the header
//! timeout; and HTTP/2 has no such timer at all. The supervisor keeps both timers
//! itself, from the connection's [`Activity`], in the connection's own task:
//! - a request head that is not complete `header_read_timeout` after its first byte
//!   (or after the opening, for the first request) closes the connection at once: a
//!   slow or stalled client has nothing in progress to lose;
//! - a connection with no request in progress for `idle_timeout` is shut down
//!   gracefully (HTTP/1 closes, HTTP/2 sends `GOAWAY`);
//! - nothing runs while a request is in progress: a handler is never cut short (a
//!   synchronous evacuation may run long), and its body has its own timer
//!   (`extract::body::buffer_body`).
//!
//! A connection asked to shut down (idle, or the server draining) that has still not
//! closed `header_read_timeout` after its last request is closed at once.

use std::future::{Future, poll_fn};
use std::pin::pin;
use std::sync::Arc;
use std::task::Poll;
use std::time::Duration;

use bailiff_telemetry::metrics;
use lingering_close::LingeringClose;
use tokio::net::TcpStream;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use super::activity::{Activity, Deadline, EdgeService};
use super::io::EdgeIo;

/// A connection as hyper serves it, on the gateway's socket and service.
pub type Connection<'a> = hyper_util::server::conn::auto::UpgradeableConnection<
    'a,
    hyper_util::rt::TokioIo<EdgeIo<LingeringClose<TcpStream>>>,
    EdgeService,
    hyper_util::rt::TokioExecutor,
>;

/// The two timeouts the supervisor keeps.
#[derive(Debug, Clone, Copy)]
pub struct Timeouts {
    pub header: Duration,
    pub idle: Duration,
}

/// Serves `connection` until it closes, times out, or `stop` asks every connection to
/// finish (the server is draining).
pub async fn supervise(
    connection: Connection<'_>,
    activity: Arc<Activity>,
    timeouts: Timeouts,
    stop: CancellationToken,
) {
    let mut connection = pin!(connection);
    let mut stopping = pin!(stop.cancelled_owned());
    let mut timer = pin!(tokio::time::sleep(timeouts.idle));
    let mut armed: Option<Instant> = None;
    let mut asked_to_close: Option<Instant> = None;
    poll_fn(|cx| {
        loop {
            if let Poll::Ready(result) = connection.as_mut().poll(cx) {
                if let Err(error) = result {
                    tracing::debug!(%error, "HTTP connection ended with an error");
                }
                return Poll::Ready(());
            }
            if asked_to_close.is_none() && stopping.as_mut().poll(cx).is_ready() {
                connection.as_mut().graceful_shutdown();
                asked_to_close = Some(Instant::now());
                continue;
            }
            if activity.busy() {
                // An HTTP/2 stream's task may end the last request: it wakes us then.
                activity.register_supervisor(cx);
            }
            let Some(deadline) = activity.deadline(timeouts.header, timeouts.idle) else {
                return Poll::Pending;
            };
            let at = match (deadline, asked_to_close) {
                (_, Some(asked)) => asked.max(activity.idle_since()) + timeouts.header,
                (Deadline::Header(at) | Deadline::Idle(at), None) => at,
            };
            if armed != Some(at) {
                timer.as_mut().reset(at);
                armed = Some(at);
            }
            if timer.as_mut().poll(cx).is_pending() {
                return Poll::Pending;
            }
            armed = None;
            match (deadline, asked_to_close) {
                (Deadline::Idle(_), None) => {
                    metrics::record_http_timeout("idle");
                    connection.as_mut().graceful_shutdown();
                    asked_to_close = Some(Instant::now());
                }
                (Deadline::Header(_), _) => {
                    metrics::record_http_timeout("header");
                    return Poll::Ready(());
                }
                // Asked to close and still open, with nothing in progress.
                (Deadline::Idle(_), Some(_)) => return Poll::Ready(()),
            }
        }
    })
    .await;
}
