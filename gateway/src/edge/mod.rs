//! The public edge of the gateway: how connections are accepted, timed out and limited,
//! so slow or misbehaving clients cannot starve it (`docs/architecture.md`, "Edge
//! limits"; the keys are the `http` section of `docs/configuration.md`).
//!
//! Who enforces what:
//! - [`listener`]: the accept loop. `http.max_connections` (a semaphore taken at accept;
//!   beyond it a connection is answered `503` and closed), and graceful shutdown.
//! - [`supervise`]: one per connection. `http.header_read_timeout` (a request head must
//!   be complete that long after its first byte, or after the connection opened) and
//!   `http.idle_timeout` (no request in progress), from what [`activity`] records.
//! - hyper, configured in [`listener`]: the HTTP/2 limits (`max_concurrent_streams`,
//!   `max_pending_accept_reset_streams`, `max_local_error_reset_streams`) and a hard
//!   bound on a request head ([`EdgeSettings::head_buffer_bytes`]: HTTP/1
//!   `max_buf_size`, HTTP/2 `max_header_list_size`), set above the configured limits.
//! - [`limits`], a layer inside CORS: `http.max_uri_bytes` (`414`),
//!   `http.max_header_bytes` (`431`), both protocols alike, and
//!   `http.max_in_flight_requests` (`503` and `Retry-After`).
//! - [`io`]: hyper answers a request head it cannot parse or hold itself, with an empty
//!   body; the connection's writer replaces those answers with Matrix JSON ones.
//! - `extract::body::buffer_body`: `http.body_read_timeout`, only while the body is read.

use std::time::Duration;

use bailiff_config::HttpConfig;

pub mod activity;
pub mod io;
pub mod limits;
pub mod listener;
pub mod responses;
pub mod supervise;

/// Room in the head buffer beyond the configured URI and header limits: the method, the
/// version, `": "` and CRLF of each field, and the first bytes of a pipelined request.
const HEAD_SLACK: usize = 8 * 1024;

/// hyper refuses a smaller HTTP/1 buffer.
const HYPER_MIN_BUFFER: usize = 8 * 1024;

/// The `http` configuration, in the units the edge uses.
#[derive(Debug, Clone)]
pub struct EdgeSettings {
    pub header_read_timeout: Duration,
    pub idle_timeout: Duration,
    pub body_read_timeout: Duration,
    pub max_connections: usize,
    pub max_header_bytes: usize,
    pub max_uri_bytes: usize,
    pub max_in_flight_requests: usize,
    pub h2_max_concurrent_streams: u32,
    pub h2_max_pending_reset_streams: usize,
    pub h2_max_local_error_resets: usize,
}

impl EdgeSettings {
    /// The settings of `config`, whose bounds `bailiff-config` has checked.
    pub fn new(config: &HttpConfig) -> Self {
        let size = |value: u32| usize::try_from(value).unwrap_or(usize::MAX);
        Self {
            header_read_timeout: config.header_read_timeout,
            idle_timeout: config.idle_timeout,
            body_read_timeout: config.body_read_timeout,
            max_connections: size(config.max_connections),
            max_header_bytes: size(config.max_header_bytes),
            max_uri_bytes: size(config.max_uri_bytes),
            max_in_flight_requests: size(config.max_in_flight_requests),
            h2_max_concurrent_streams: config.h2_max_concurrent_streams,
            h2_max_pending_reset_streams: size(config.h2_max_pending_reset_streams),
            h2_max_local_error_resets: size(config.h2_max_local_error_resets),
        }
    }

    /// The hard bound on one request head that hyper and h2 hold in memory. It sits
    /// above the configured limits so that a head over them still reaches [`limits`],
    /// which answers with a Matrix error; only a head over this bound is refused by
    /// hyper itself (and rewritten by [`io`]).
    pub fn head_buffer_bytes(&self) -> usize {
        self.max_header_bytes
            .saturating_add(self.max_uri_bytes)
            .saturating_add(HEAD_SLACK)
            .max(HYPER_MIN_BUFFER)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_head_buffer_holds_both_limits_and_respects_hypers_minimum() {
        let defaults = EdgeSettings::new(&HttpConfig::default());
        assert_eq!(
            defaults.head_buffer_bytes(),
            32 * 1024 + 8 * 1024 + HEAD_SLACK
        );
        let small = EdgeSettings::new(&HttpConfig {
            max_header_bytes: 1024,
            max_uri_bytes: 256,
            ..HttpConfig::default()
        });
        assert!(small.head_buffer_bytes() >= HYPER_MIN_BUFFER);
    }
}
