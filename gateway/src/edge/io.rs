//! The socket of one HTTP connection, as hyper sees it: it reports arriving bytes to the
//! connection's [`Activity`], and it replaces the answers hyper writes on its own.
//!
//! When an HTTP/1 request head does not parse or does not fit hyper's buffer
//! (`EdgeSettings::head_buffer_bytes`), hyper answers `400`, `414` or `431` with an
//! empty body and closes the connection, without the service ever seeing the request.
//! Every refusal must be a Matrix error with the CORS headers (`docs/http-api.md` §1),
//! so such an answer is recognised as it is written — a bodiless `400`/`414`/`431`
//! head: every answer of the router carries a JSON body — and the bytes of
//! [`responses`] go out instead.
//!
//! hyper reports a head that outgrew its buffer as `431` even when it is the request
//! line that never ended. Whether a line end has arrived since the last answer began
//! tells the two apart, so a 100,000-byte path is a `414`, as it would be were it short
//! enough to reach the router.

use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use bailiff_telemetry::metrics;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

use super::activity::Activity;
use super::responses;

/// Which of hyper's own answers a write is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum HyperAnswer {
    BadRequest,
    UriTooLong,
    HeadersTooLarge,
}

/// Recognises hyper's bodiless error answer at the start of `bytes`.
fn hyper_answer(bytes: &[u8]) -> Option<HyperAnswer> {
    let answer = if bytes.starts_with(b"HTTP/1.1 400 ") {
        HyperAnswer::BadRequest
    } else if bytes.starts_with(b"HTTP/1.1 414 ") {
        HyperAnswer::UriTooLong
    } else if bytes.starts_with(b"HTTP/1.1 431 ") {
        HyperAnswer::HeadersTooLarge
    } else {
        return None;
    };
    let bodiless = bytes.ends_with(b"\r\n\r\n")
        && bytes
            .windows(b"\r\ncontent-length: 0\r\n".len())
            .any(|window| window.eq_ignore_ascii_case(b"\r\ncontent-length: 0\r\n"));
    bodiless.then_some(answer)
}

/// Where the replacement of one of hyper's answers stands.
#[derive(Debug)]
enum Replacement {
    /// Nothing to replace yet.
    Watching,
    /// Writing `bytes` in place of hyper's answer, which is `replaced` bytes long.
    Writing {
        bytes: &'static [u8],
        written: usize,
        replaced: usize,
    },
}

/// A connection's socket; see the module docs.
#[derive(Debug)]
pub struct EdgeIo<T> {
    inner: T,
    activity: Arc<Activity>,
    /// A line end arrived since the last answer began: the request line is complete.
    line_end_seen: bool,
    replacement: Replacement,
}

impl<T> EdgeIo<T> {
    pub fn new(inner: T, activity: Arc<Activity>) -> Self {
        Self {
            inner,
            activity,
            line_end_seen: false,
            replacement: Replacement::Watching,
        }
    }

    /// The Matrix answer that replaces `answer`, counted by the limit it enforces.
    fn replacement_for(&self, answer: HyperAnswer) -> &'static [u8] {
        match answer {
            HyperAnswer::BadRequest => &responses::RAW_MALFORMED,
            HyperAnswer::UriTooLong => {
                metrics::record_http_refusal("uri_bytes");
                &responses::RAW_URI_TOO_LONG
            }
            HyperAnswer::HeadersTooLarge if !self.line_end_seen => {
                metrics::record_http_refusal("uri_bytes");
                &responses::RAW_URI_TOO_LONG
            }
            HyperAnswer::HeadersTooLarge => {
                metrics::record_http_refusal("header_bytes");
                &responses::RAW_HEADERS_TOO_LARGE
            }
        }
    }
}

impl<T: AsyncRead + Unpin> AsyncRead for EdgeIo<T> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let result = Pin::new(&mut self.inner).poll_read(cx, buf);
        let arrived = &buf.filled()[before..];
        if !arrived.is_empty() {
            self.activity.bytes_arrived();
            if !self.line_end_seen && arrived.contains(&b'\n') {
                self.line_end_seen = true;
            }
        }
        result
    }
}

impl<T: AsyncWrite + Unpin> EdgeIo<T> {
    /// Writes the replacement in progress; done when hyper's answer counts as written.
    fn poll_replacement(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<usize>> {
        loop {
            let Replacement::Writing {
                bytes,
                written,
                replaced,
            } = &mut self.replacement
            else {
                return Poll::Ready(Ok(0));
            };
            if *written == bytes.len() {
                let replaced = *replaced;
                self.replacement = Replacement::Watching;
                return Poll::Ready(Ok(replaced));
            }
            match std::task::ready!(Pin::new(&mut self.inner).poll_write(cx, &bytes[*written..])) {
                Ok(0) => return Poll::Ready(Err(io::ErrorKind::WriteZero.into())),
                Ok(n) => *written += n,
                Err(error) => return Poll::Ready(Err(error)),
            }
        }
    }

    /// Looks at the start of a write: an answer begins a new request's head, and one of
    /// hyper's own answers is replaced.
    fn inspect(&mut self, bytes: &[u8]) -> bool {
        if !bytes.starts_with(b"HTTP/1.1 ") {
            return false;
        }
        let answer = hyper_answer(bytes);
        if let Some(answer) = answer {
            self.replacement = Replacement::Writing {
                bytes: self.replacement_for(answer),
                written: 0,
                replaced: bytes.len(),
            };
        }
        self.line_end_seen = false;
        answer.is_some()
    }
}

impl<T: AsyncWrite + Unpin> AsyncWrite for EdgeIo<T> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = &mut *self;
        if matches!(this.replacement, Replacement::Writing { .. }) || this.inspect(buf) {
            return this.poll_replacement(cx);
        }
        Pin::new(&mut this.inner).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let this = &mut *self;
        if matches!(this.replacement, Replacement::Writing { .. }) {
            return this.poll_replacement(cx);
        }
        if let Some(first) = bufs.iter().find(|buf| !buf.is_empty())
            && this.inspect(first)
        {
            // Only hyper's answer is consumed; anything after it is offered again.
            return this.poll_replacement(cx);
        }
        Pin::new(&mut this.inner).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    use super::*;

    const HYPER_431: &[u8] = b"HTTP/1.1 431 Request Header Fields Too Large\r\ncontent-length: 0\r\ndate: Wed, 02 Dec 2026 18:00:00 GMT\r\n\r\n";

    #[test]
    fn only_bodiless_error_heads_are_hypers() {
        assert_eq!(hyper_answer(HYPER_431), Some(HyperAnswer::HeadersTooLarge));
        assert_eq!(
            hyper_answer(b"HTTP/1.1 414 URI Too Long\r\ncontent-length: 0\r\n\r\n"),
            Some(HyperAnswer::UriTooLong)
        );
        assert_eq!(
            hyper_answer(b"HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\n\r\n"),
            Some(HyperAnswer::BadRequest)
        );
        // The router's own answers carry a body.
        assert_eq!(
            hyper_answer(b"HTTP/1.1 431 Request Header Fields Too Large\r\ncontent-type: application/json\r\ncontent-length: 58\r\n\r\n"),
            None
        );
        assert_eq!(
            hyper_answer(b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n"),
            None
        );
    }

    /// Writes `answer` through an [`EdgeIo`] after `request` arrived; returns what the
    /// peer receives.
    async fn answered(request: &[u8], answer: &[u8]) -> String {
        let (server, mut client) = tokio::io::duplex(64 * 1024);
        let mut io = EdgeIo::new(server, Arc::new(Activity::new()));
        client.write_all(request).await.unwrap_or_default();
        let mut scratch = vec![0; request.len()];
        io.read_exact(&mut scratch).await.unwrap_or_default();
        io.write_all(answer).await.unwrap_or_default();
        drop(io);
        let mut received = String::new();
        client
            .read_to_string(&mut received)
            .await
            .unwrap_or_default();
        received
    }

    #[tokio::test]
    async fn hypers_answers_become_matrix_errors() {
        let headers = answered(b"GET / HTTP/1.1\r\nx-big: aaaa", HYPER_431).await;
        assert!(headers.starts_with("HTTP/1.1 431 "), "{headers}");
        assert!(headers.contains(r#""errcode":"M_TOO_LARGE""#), "{headers}");
        assert!(
            headers.contains("access-control-allow-origin: *"),
            "{headers}"
        );

        // The request line never ended: the URI is what is too long.
        let uri = answered(b"GET /aaaaaaaaaaaaaaaa", HYPER_431).await;
        assert!(uri.starts_with("HTTP/1.1 414 "), "{uri}");

        let normal = b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\n{}";
        let passed = answered(b"GET / HTTP/1.1\r\n\r\n", normal).await;
        assert_eq!(passed.as_bytes(), normal);
    }
}
