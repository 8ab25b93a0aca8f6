//! The accept loop of the public listener: hyper configured with the edge's limits,
//! the connection limit, and the drain on shutdown.
//!
//! A connection over `http.max_connections` is still accepted, answered
//! `503 M_UNAVAILABLE` with `Retry-After`, and closed: the client learns at once why,
//! where a listener that stopped accepting would leave it hanging in the kernel's
//! backlog. The connections being refused are bounded too ([`REFUSING_AT_ONCE`]);
//! beyond that a connection is closed without an answer.

use std::future::poll_fn;
use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::task::Poll;
use std::time::Duration;

use axum::Router;
use bailiff_telemetry::metrics::{self, METRICS};
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto::Builder;
use lingering_close::LingeringClose;
use tokio::io::AsyncWriteExt;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use super::EdgeSettings;
use super::activity::{Activity, EdgeService};
use super::io::EdgeIo;
use super::responses;
use super::supervise::{Timeouts, supervise};
use crate::drain::AcceptClock;

/// Most connections over the limit being answered at once.
pub const REFUSING_AT_ONCE: usize = 64;

/// How long answering a refused connection may take, lingering close included.
const REFUSAL_TIME: Duration = Duration::from_secs(3);

/// After an accept error that is not about one connection (out of file descriptors),
/// wait before accepting again rather than spin.
const ACCEPT_ERROR_PAUSE: Duration = Duration::from_secs(1);

/// hyper's connection builder with the edge's settings; see `super` for who enforces
/// what.
pub fn builder(settings: &EdgeSettings) -> Builder<TokioExecutor> {
    let head = settings.head_buffer_bytes();
    let mut builder = Builder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(TokioTimer::new())
        // The supervisor keeps the header timer: hyper's would also run while idle.
        .header_read_timeout(None::<Duration>)
        .max_buf_size(head);
    builder
        .http2()
        .timer(TokioTimer::new())
        .max_concurrent_streams(settings.h2_max_concurrent_streams)
        .max_header_list_size(u32::try_from(head).unwrap_or(u32::MAX))
        // Rapid reset (CVE-2023-44487): streams the client resets before they were
        // accepted, and resets the client forces us to send, are bounded; past either
        // bound the connection ends with GOAWAY ENHANCE_YOUR_CALM.
        .max_pending_accept_reset_streams(settings.h2_max_pending_reset_streams)
        .max_local_error_reset_streams(settings.h2_max_local_error_resets);
    builder
}

/// A slot of `http.max_connections`, counted as an open connection while held.
struct ConnectionSlot {
    _permit: OwnedSemaphorePermit,
}

impl ConnectionSlot {
    fn new(permit: OwnedSemaphorePermit) -> Self {
        METRICS.http_open_connections.inc();
        Self { _permit: permit }
    }
}

impl Drop for ConnectionSlot {
    fn drop(&mut self) {
        METRICS.http_open_connections.dec();
    }
}

/// Serves `router` on `listener` until `shutdown` is cancelled and connections have
/// stopped arriving (`crate::drain`), then asks every connection to finish and waits
/// for them.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    settings: &EdgeSettings,
    shutdown: CancellationToken,
) -> io::Result<()> {
    let admission = Admission {
        builder: Arc::new(builder(settings)),
        router,
        timeouts: Timeouts {
            header: settings.header_read_timeout,
            idle: settings.idle_timeout,
        },
        slots: Arc::new(Semaphore::new(settings.max_connections)),
        refusing: Arc::new(Semaphore::new(REFUSING_AT_ONCE)),
        connections: TaskTracker::new(),
        finish: CancellationToken::new(),
    };
    let clock = AcceptClock::default();
    let stop_accepting = clock.clone().quiet_after(shutdown);
    tokio::pin!(stop_accepting);

    loop {
        let (stream, remote) = tokio::select! {
            biased;
            () = &mut stop_accepting => {
                // Connections the kernel completed while the quiet period ran out would be
                // reset with the listener; they are served instead (a request already
                // sent is read before the drain asks the connection to close).
                while let Some(Ok((stream, remote))) = ready_connection(&listener).await {
                    clock.accepted();
                    admit(&admission, stream, remote);
                }
                break;
            }
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(error) => {
                    if !is_connection_error(&error) {
                        tracing::error!(%error, "accepting an HTTP connection failed");
                        tokio::select! {
                            () = &mut stop_accepting => break,
                            () = tokio::time::sleep(ACCEPT_ERROR_PAUSE) => {}
                        }
                    }
                    continue;
                }
            },
        };
        clock.accepted();
        admit(&admission, stream, remote);
    }

    drop(listener);
    admission.finish.cancel();
    admission.connections.close();
    admission.connections.wait().await;
    Ok(())
}

/// What admitting a connection needs: the serving settings and the limits' state.
struct Admission {
    builder: Arc<Builder<TokioExecutor>>,
    router: Router,
    timeouts: Timeouts,
    slots: Arc<Semaphore>,
    refusing: Arc<Semaphore>,
    connections: TaskTracker,
    finish: CancellationToken,
}

/// Serves an accepted connection in its own task, or refuses it over the limit.
fn admit(admission: &Admission, stream: TcpStream, remote: SocketAddr) {
    if let Ok(permit) = Arc::clone(&admission.slots).try_acquire_owned() {
        let slot = ConnectionSlot::new(permit);
        admission.connections.spawn(serve_connection(
            Arc::clone(&admission.builder),
            stream,
            remote,
            admission.router.clone(),
            admission.timeouts,
            admission.finish.clone(),
            slot,
        ));
    } else {
        metrics::record_http_refusal("connections");
        if let Ok(permit) = Arc::clone(&admission.refusing).try_acquire_owned() {
            admission.connections.spawn(refuse(stream, permit));
        }
    }
}

/// A connection the kernel has already completed, without waiting for one.
async fn ready_connection(listener: &TcpListener) -> Option<io::Result<(TcpStream, SocketAddr)>> {
    poll_fn(|cx| match listener.poll_accept(cx) {
        Poll::Ready(accepted) => Poll::Ready(Some(accepted)),
        Poll::Pending => Poll::Ready(None),
    })
    .await
}

/// Serves one connection under its supervisor.
async fn serve_connection(
    builder: Arc<Builder<TokioExecutor>>,
    stream: TcpStream,
    remote: SocketAddr,
    router: Router,
    timeouts: Timeouts,
    finish: CancellationToken,
    _slot: ConnectionSlot,
) {
    let activity = Arc::new(Activity::new());
    // Lingering closes keep a response from being reset away when the client sent more
    // (a pipelined or late request) before it saw the connection closing.
    let io = TokioIo::new(EdgeIo::new(
        LingeringClose::new(stream),
        Arc::clone(&activity),
    ));
    let service = EdgeService::new(router, remote, Arc::clone(&activity));
    let connection = builder.serve_connection_with_upgrades(io, service);
    supervise(connection, activity, timeouts, finish).await;
}

/// Answers a connection over the limit and closes it.
async fn refuse(stream: TcpStream, _refusing: OwnedSemaphorePermit) {
    let mut io = LingeringClose::new(stream);
    let _ = tokio::time::timeout(REFUSAL_TIME, async {
        io.write_all(&responses::TOO_MANY_CONNECTIONS).await?;
        io.shutdown().await
    })
    .await;
}

/// Errors about one connection, which was gone before it could be accepted.
fn is_connection_error(error: &io::Error) -> bool {
    matches!(
        error.kind(),
        io::ErrorKind::ConnectionRefused
            | io::ErrorKind::ConnectionAborted
            | io::ErrorKind::ConnectionReset
    )
}
