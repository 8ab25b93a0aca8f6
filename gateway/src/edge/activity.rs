//! What one connection is doing, as the connection's supervisor needs it to time the
//! connection out: whether a request is in progress, since when it has been idle, and
//! since when a request head has been arriving.
//!
//! The record is written by the socket wrapper ([`super::io`]: bytes arrived) and by
//! [`EdgeService`] (a request began; its answer was sent or dropped). HTTP/2 answers run
//! on their own tasks, hence atomics; the writes per request are two counter updates
//! and two clock reads, and nothing is allocated.

use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::routing::future::RouteFuture;
use bytes::Bytes;
use futures::task::AtomicWaker;
use http::{Request, Response, Version};
use http_body::{Frame, SizeHint};
use hyper::body::Incoming;
use tokio::time::Instant;
use tower::Service;

/// `head_started_ms` when no request head is arriving.
const NO_HEAD: u64 = u64::MAX;

/// Which timer of a connection runs out next.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Deadline {
    /// A request head must be complete by then.
    Header(Instant),
    /// The connection may stay idle until then.
    Idle(Instant),
}

/// The activity of one connection; shared by its socket, its service and its
/// supervisor.
#[derive(Debug)]
pub struct Activity {
    opened: Instant,
    in_flight: AtomicU32,
    /// Milliseconds after `opened` at which the last request finished.
    idle_since_ms: AtomicU64,
    /// Milliseconds after `opened` at which the head being read began, or [`NO_HEAD`].
    /// The first head counts from the opening, so a silent connection times out too.
    head_started_ms: AtomicU64,
    /// HTTP/2 frames arrive while idle (pings, settings) without starting a request, so
    /// on HTTP/2 only the idle timer runs between requests.
    http2: AtomicBool,
    /// The supervisor, woken when an HTTP/2 stream's task ends the last request.
    supervisor: AtomicWaker,
}

impl Activity {
    /// The activity of a connection accepted now.
    pub fn new() -> Self {
        Self {
            opened: Instant::now(),
            in_flight: AtomicU32::new(0),
            idle_since_ms: AtomicU64::new(0),
            head_started_ms: AtomicU64::new(0),
            http2: AtomicBool::new(false),
            supervisor: AtomicWaker::new(),
        }
    }

    fn now_ms(&self) -> u64 {
        u64::try_from(self.opened.elapsed().as_millis()).unwrap_or(u64::MAX - 1)
    }

    fn at(&self, ms: u64) -> Instant {
        self.opened + Duration::from_millis(ms)
    }

    /// Bytes arrived: on an idle HTTP/1 connection, they begin a request head.
    pub fn bytes_arrived(&self) {
        if self.in_flight.load(Ordering::Acquire) == 0
            && self.head_started_ms.load(Ordering::Relaxed) == NO_HEAD
            && !self.http2.load(Ordering::Relaxed)
        {
            self.head_started_ms.store(self.now_ms(), Ordering::Relaxed);
        }
    }

    /// A request's head is complete and its handling begins; the guard ends it.
    pub fn begin_request(self: &Arc<Self>, version: Version) -> InFlight {
        let http2 = version == Version::HTTP_2;
        if http2 {
            self.http2.store(true, Ordering::Relaxed);
        }
        self.in_flight.fetch_add(1, Ordering::AcqRel);
        self.head_started_ms.store(NO_HEAD, Ordering::Relaxed);
        InFlight {
            activity: Arc::clone(self),
            wake_supervisor: http2,
        }
    }

    /// Whether a request is in progress.
    pub fn busy(&self) -> bool {
        self.in_flight.load(Ordering::Acquire) > 0
    }

    /// When the connection's next timer runs out; `None` while a request is in
    /// progress, since a handler's work is never cut short.
    pub fn deadline(&self, header_timeout: Duration, idle_timeout: Duration) -> Option<Deadline> {
        if self.busy() {
            return None;
        }
        let head = self.head_started_ms.load(Ordering::Relaxed);
        if head != NO_HEAD {
            return Some(Deadline::Header(self.at(head) + header_timeout));
        }
        let idle = self.idle_since_ms.load(Ordering::Relaxed);
        Some(Deadline::Idle(self.at(idle) + idle_timeout))
    }

    /// When the connection last became idle.
    pub fn idle_since(&self) -> Instant {
        self.at(self.idle_since_ms.load(Ordering::Relaxed))
    }

    /// Asks to be woken when another task ends the last request in progress.
    pub fn register_supervisor(&self, cx: &Context<'_>) {
        self.supervisor.register(cx.waker());
    }
}

impl Default for Activity {
    fn default() -> Self {
        Self::new()
    }
}

/// One request in progress; dropping it (the answer was sent, or abandoned) ends it.
#[derive(Debug)]
pub struct InFlight {
    activity: Arc<Activity>,
    /// HTTP/1 answers are sent by the connection's own task, whose supervisor looks at
    /// the activity each time it runs; an HTTP/2 stream's task must wake it.
    wake_supervisor: bool,
}

impl Drop for InFlight {
    fn drop(&mut self) {
        let activity = &self.activity;
        activity
            .idle_since_ms
            .store(activity.now_ms(), Ordering::Relaxed);
        // Release: the supervisor that sees the count drop also sees `idle_since_ms`.
        if activity.in_flight.fetch_sub(1, Ordering::AcqRel) == 1 && self.wake_supervisor {
            activity.supervisor.wake();
        }
    }
}

/// The hyper service of one connection: the router, with the peer address as
/// [`ConnectInfo`] and every request tracked in the connection's [`Activity`].
#[derive(Clone)]
pub struct EdgeService {
    router: Router,
    remote: SocketAddr,
    activity: Arc<Activity>,
}

impl EdgeService {
    pub fn new(router: Router, remote: SocketAddr, activity: Arc<Activity>) -> Self {
        Self {
            router,
            remote,
            activity,
        }
    }
}

impl hyper::service::Service<Request<Incoming>> for EdgeService {
    type Response = Response<TrackedBody>;
    type Error = Infallible;
    type Future = TrackedResponse;

    fn call(&self, mut request: Request<Incoming>) -> Self::Future {
        let in_flight = self.activity.begin_request(request.version());
        request.extensions_mut().insert(ConnectInfo(self.remote));
        // The router is always ready; cloning it clones an `Arc`.
        let response = self.router.clone().call(request);
        TrackedResponse {
            response,
            in_flight: Some(in_flight),
        }
    }
}

/// The router's answer, still counted as in progress.
pub struct TrackedResponse {
    response: RouteFuture<Infallible>,
    in_flight: Option<InFlight>,
}

impl Future for TrackedResponse {
    type Output = Result<Response<TrackedBody>, Infallible>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        let Ok(response) = std::task::ready!(Pin::new(&mut this.response).poll(cx));
        let in_flight = this.in_flight.take();
        Poll::Ready(Ok(response.map(|body| TrackedBody { body, in_flight })))
    }
}

/// A response body that keeps its request in progress until it has been sent.
pub struct TrackedBody {
    body: Body,
    in_flight: Option<InFlight>,
}

impl http_body::Body for TrackedBody {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, axum::Error>>> {
        let this = self.get_mut();
        let frame = std::task::ready!(Pin::new(&mut this.body).poll_frame(cx));
        if frame.is_none() {
            this.in_flight = None;
        }
        Poll::Ready(frame)
    }

    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.body.size_hint()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEADER: Duration = Duration::from_secs(10);
    const IDLE: Duration = Duration::from_secs(60);

    #[tokio::test(start_paused = true)]
    async fn the_first_head_counts_from_the_opening() {
        let activity = Arc::new(Activity::new());
        let opened = Instant::now();
        assert_eq!(
            activity.deadline(HEADER, IDLE),
            Some(Deadline::Header(opened + HEADER))
        );
    }

    #[tokio::test(start_paused = true)]
    async fn requests_stop_the_timers_and_bytes_between_them_start_a_head() {
        let activity = Arc::new(Activity::new());
        let request = activity.begin_request(Version::HTTP_11);
        assert_eq!(activity.deadline(HEADER, IDLE), None, "busy");
        activity.bytes_arrived();
        assert_eq!(
            activity.deadline(HEADER, IDLE),
            None,
            "body bytes start nothing"
        );
        tokio::time::advance(Duration::from_secs(5)).await;
        drop(request);
        let finished = Instant::now();
        assert_eq!(
            activity.deadline(HEADER, IDLE),
            Some(Deadline::Idle(finished + IDLE))
        );
        tokio::time::advance(Duration::from_secs(2)).await;
        activity.bytes_arrived();
        assert_eq!(
            activity.deadline(HEADER, IDLE),
            Some(Deadline::Header(Instant::now() + HEADER))
        );
    }

    #[tokio::test(start_paused = true)]
    async fn on_http2_only_the_idle_timer_runs_between_requests() {
        let activity = Arc::new(Activity::new());
        drop(activity.begin_request(Version::HTTP_2));
        let finished = Instant::now();
        activity.bytes_arrived();
        assert_eq!(
            activity.deadline(HEADER, IDLE),
            Some(Deadline::Idle(finished + IDLE))
        );
    }
}
