//! Closing a server connection without destroying the answers already written to it.
//!
//! When a socket is closed while bytes the peer sent are still unread, the kernel does
//! not send a FIN: it sends a reset, drops whatever of our output the peer has not
//! acknowledged yet, and the peer's stack discards what it received but the client has
//! not read. A draining server hits exactly this: it answers its last in-flight calls
//! and closes, while the client, which has not seen the `GOAWAY` yet, has already sent
//! a new stream or a window update. The client then sees `ECONNRESET` instead of the
//! response that was on its way: a call accepted and answered, yet failed.
//!
//! [`LingeringClose`] does what web servers call a lingering close: on shutdown it
//! half-closes (the FIN follows the last response, in order), then reads and discards
//! until the peer closes its side or [`LINGER`] passes, and only then lets the socket
//! be dropped. HTTP/1 (hyper) and HTTP/2 (h2) both shut the connection down through
//! `poll_shutdown` before dropping it, so wrapping the accepted stream is enough.

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll, ready};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use tokio::time::Sleep;

#[cfg(test)]
mod tests;

/// How long a closing connection waits for the peer to close its side. Clients close
/// promptly once they read the FIN; this only bounds a peer that never does.
pub const LINGER: Duration = Duration::from_secs(2);

/// A connection whose shutdown lingers; see the module docs.
#[derive(Debug)]
pub struct LingeringClose<T> {
    inner: T,
    linger: Duration,
    closing: Option<Closing>,
}

#[derive(Debug)]
struct Closing {
    deadline: Pin<Box<Sleep>>,
    write_half_closed: bool,
}

impl<T> LingeringClose<T> {
    /// Wraps an accepted connection, lingering for [`LINGER`] at most.
    pub fn new(inner: T) -> Self {
        Self::with_linger(inner, LINGER)
    }

    /// Wraps an accepted connection, lingering for `linger` at most.
    pub fn with_linger(inner: T, linger: Duration) -> Self {
        Self {
            inner,
            linger,
            closing: None,
        }
    }

    /// The wrapped connection.
    pub fn get_ref(&self) -> &T {
        &self.inner
    }
}

impl<T: AsyncRead + Unpin> AsyncRead for LingeringClose<T> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

impl<T: AsyncRead + AsyncWrite + Unpin> AsyncWrite for LingeringClose<T> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let linger = this.linger;
        let closing = this.closing.get_or_insert_with(|| Closing {
            deadline: Box::pin(tokio::time::sleep(linger)),
            write_half_closed: false,
        });
        if !closing.write_half_closed {
            ready!(Pin::new(&mut this.inner).poll_shutdown(cx))?;
            closing.write_half_closed = true;
        }
        let mut scratch = [0u8; 4096];
        loop {
            if closing.deadline.as_mut().poll(cx).is_ready() {
                return Poll::Ready(Ok(()));
            }
            let mut discard = ReadBuf::new(&mut scratch);
            match ready!(Pin::new(&mut this.inner).poll_read(cx, &mut discard)) {
                // More of what the peer sent before it saw us closing: drop it.
                Ok(()) if !discard.filled().is_empty() => {}
                // The peer closed its side (or the connection is gone): a plain close
                // can no longer reset anything.
                Ok(()) | Err(_) => return Poll::Ready(Ok(())),
            }
        }
    }
}

impl tonic::transport::server::Connected for LingeringClose<TcpStream> {
    type ConnectInfo = tonic::transport::server::TcpConnectInfo;

    fn connect_info(&self) -> Self::ConnectInfo {
        self.inner.connect_info()
    }
}
