//! Who connected from where, for whois: every authenticated request records (user,
//! device, IP, user agent, time). Sightings are de-duplicated in memory and flushed to
//! accounts-svc in one `RecordConnections` call per interval; a failed flush is logged
//! and retried with the next one.

use std::collections::{HashMap, HashSet};
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bailiff_domain::now_ms;

use axum::extract::ConnectInfo;
use bailiff_proto::accounts::accounts_client::AccountsClient;
use bailiff_proto::accounts::{Connection, RecordConnectionsRequest};
use http::HeaderMap;
use http::request::Parts;
use ipnet::IpNet;
use tokio_util::sync::CancellationToken;

use crate::whois_cache::WhoisCache;
use bailiff_proto::transport::Transport;

/// Sightings kept while accounts-svc is unreachable; beyond this, new ones are dropped.
const MAX_PENDING: usize = 100_000;
/// Longest user agent kept.
const MAX_USER_AGENT: usize = 1024;

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct Key {
    user_id: String,
    device_id: String,
    ip: String,
    user_agent: String,
}

/// Where a request came from (socket peer and headers), captured by an extractor that
/// never fails, for [`ClientIpRecorder::record_origin`].
#[derive(Debug, Clone)]
pub struct RequestOrigin {
    peer: Option<IpAddr>,
    headers: HeaderMap,
}

impl RequestOrigin {
    fn of(parts: &Parts) -> Self {
        Self {
            peer: parts
                .extensions
                .get::<ConnectInfo<SocketAddr>>()
                .map(|info| info.0.ip()),
            headers: parts.headers.clone(),
        }
    }
}

impl<S: Send + Sync> axum::extract::FromRequestParts<S> for RequestOrigin {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        Ok(Self::of(parts))
    }
}

/// Buffers sightings; cheap to clone.
#[derive(Clone)]
pub struct ClientIpRecorder {
    pending: Arc<Mutex<HashMap<Key, i64>>>,
    trusted_proxies: Arc<[IpNet]>,
}

impl ClientIpRecorder {
    /// A recorder that believes `X-Forwarded-For` from `trusted_proxies`.
    pub fn new(trusted_proxies: Vec<IpNet>) -> Self {
        Self {
            pending: Arc::default(),
            trusted_proxies: trusted_proxies.into(),
        }
    }

    /// Records an authenticated request.
    pub fn record_request(&self, parts: &Parts, user_id: &str, device_id: &str) {
        self.record_origin(&RequestOrigin::of(parts), user_id, device_id);
    }

    /// Records a request whose user and device are known only from its answer: a login
    /// or a registration, so whois lists the new device before it makes any request
    /// (`docs/http-api.md`, whois).
    pub fn record_origin(&self, origin: &RequestOrigin, user_id: &str, device_id: &str) {
        let ip = client_ip(origin.peer, &origin.headers, &self.trusted_proxies)
            .map_or_else(String::new, |ip| ip.to_string());
        let user_agent = origin
            .headers
            .get(http::header::USER_AGENT)
            .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
            .unwrap_or_default();
        self.record(user_id, device_id, &ip, &user_agent, now_ms());
    }

    /// Adds one sighting, keeping the newest time per (user, device, ip, user agent).
    pub fn record(&self, user_id: &str, device_id: &str, ip: &str, user_agent: &str, now: i64) {
        let mut user_agent = user_agent.to_owned();
        if user_agent.len() > MAX_USER_AGENT {
            let mut cut = MAX_USER_AGENT;
            while !user_agent.is_char_boundary(cut) {
                cut -= 1;
            }
            user_agent.truncate(cut);
        }
        let key = Key {
            user_id: user_id.to_owned(),
            device_id: device_id.to_owned(),
            ip: ip.to_owned(),
            user_agent,
        };
        let mut pending = self
            .pending
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        Self::merge(&mut pending, key, now);
    }

    fn merge(pending: &mut HashMap<Key, i64>, key: Key, seen: i64) {
        if let Some(last) = pending.get_mut(&key) {
            *last = (*last).max(seen);
        } else if pending.len() < MAX_PENDING {
            pending.insert(key, seen);
        }
    }

    /// Sends everything buffered in one call; on failure puts it back for next time.
    /// Returns the users whose sightings were stored (their whois answers changed).
    pub async fn flush(&self, accounts: &mut AccountsClient<Transport>) -> HashSet<String> {
        let batch = {
            let mut pending = self
                .pending
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            std::mem::take(&mut *pending)
        };
        if batch.is_empty() {
            return HashSet::new();
        }
        let connections = batch
            .iter()
            .map(|(key, seen)| Connection {
                user_id: key.user_id.clone(),
                device_id: key.device_id.clone(),
                ip: key.ip.clone(),
                user_agent: key.user_agent.clone(),
                last_seen_ms: *seen,
            })
            .collect();
        let result = accounts
            .record_connections(RecordConnectionsRequest { connections })
            .await;
        if let Err(status) = result {
            tracing::warn!(
                code = ?status.code(),
                message = status.message(),
                sightings = batch.len(),
                "client IP flush failed; retrying with the next flush"
            );
            let mut pending = self
                .pending
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            for (key, seen) in batch {
                Self::merge(&mut pending, key, seen);
            }
            return HashSet::new();
        }
        batch.into_keys().map(|key| key.user_id).collect()
    }

    /// Flushes every `interval` until `shutdown`, then once more. After each flush the
    /// flushed users' cached whois answers are dropped, so this replica shows a request
    /// in whois as soon as it has been stored.
    pub async fn run_flusher(
        self,
        mut accounts: AccountsClient<Transport>,
        whois: WhoisCache,
        interval: Duration,
        shutdown: CancellationToken,
    ) {
        let mut ticker = tokio::time::interval(interval.max(Duration::from_millis(10)));
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                () = shutdown.cancelled() => break,
                _ = ticker.tick() => {
                    for user_id in self.flush(&mut accounts).await {
                        whois.invalidate_user(&user_id);
                    }
                }
            }
        }
        let _ = tokio::time::timeout(Duration::from_secs(2), self.flush(&mut accounts)).await;
    }
}

fn canonical(ip: IpAddr) -> IpAddr {
    ip.to_canonical()
}

/// Whether `ip` is inside `network`. A dual-stack listener reports IPv4 peers as
/// IPv4-mapped IPv6 (`::ffff:10.1.2.3`), so an address is compared in both its forms:
/// `10.0.0.0/8` and `::ffff:10.0.0.0/104` trust the same peers.
pub fn in_network(ip: IpAddr, network: IpNet) -> bool {
    match canonical(ip) {
        IpAddr::V4(v4) => {
            network.contains(&IpAddr::V4(v4)) || network.contains(&IpAddr::V6(v4.to_ipv6_mapped()))
        }
        v6 => network.contains(&v6),
    }
}

fn is_trusted(ip: IpAddr, trusted: &[IpNet]) -> bool {
    trusted.iter().any(|network| in_network(ip, *network))
}

/// One `X-Forwarded-For` hop: an address, optionally with a port.
fn parse_hop(hop: &str) -> Option<IpAddr> {
    let hop = hop.trim();
    hop.parse::<IpAddr>()
        .ok()
        .or_else(|| hop.parse::<SocketAddr>().ok().map(|s| s.ip()))
        .map(canonical)
}

/// The client's address: the socket peer, or — when the peer is a trusted proxy — the
/// first untrusted hop of `X-Forwarded-For`, scanning right to left. If every hop is
/// trusted, the left-most one; an unparseable hop ends the scan at the last good one.
pub fn client_ip(peer: Option<IpAddr>, headers: &HeaderMap, trusted: &[IpNet]) -> Option<IpAddr> {
    let peer_ip = canonical(peer?);
    if !is_trusted(peer_ip, trusted) {
        return Some(peer_ip);
    }
    let forwarded: Vec<&str> = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .collect();
    let mut best = peer_ip;
    for hop in forwarded.iter().rev() {
        let Some(ip) = parse_hop(hop) else {
            break;
        };
        best = ip;
        if !is_trusted(ip, trusted) {
            break;
        }
    }
    Some(best)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap_or(IpAddr::from([0, 0, 0, 0]))
    }

    fn net(text: &str) -> IpNet {
        bailiff_config::network::parse_network(text).unwrap_or_else(|| panic!("{text}"))
    }

    fn xff(value: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        if let Ok(value) = value.parse() {
            headers.insert("x-forwarded-for", value);
        }
        headers
    }

    #[test]
    fn picks_the_first_untrusted_hop() {
        let trusted = [net("10.0.0.0/8"), net("127.0.0.1")];
        let from = |peer: &str, header: &str| {
            client_ip(Some(ip(peer)), &xff(header), &trusted).map(|ip| ip.to_string())
        };
        assert_eq!(
            from("203.0.113.9", "1.2.3.4").as_deref(),
            Some("203.0.113.9")
        );
        assert_eq!(from("127.0.0.1", "").as_deref(), Some("127.0.0.1"));
        assert_eq!(
            from("127.0.0.1", "6.6.6.6, 1.2.3.4, 10.1.1.1").as_deref(),
            Some("1.2.3.4")
        );
        assert_eq!(
            from("127.0.0.1", "10.2.2.2, 10.1.1.1").as_deref(),
            Some("10.2.2.2")
        );
        assert_eq!(
            from("127.0.0.1", "1.2.3.4:55, junk, 10.1.1.1").as_deref(),
            Some("10.1.1.1")
        );
        assert_eq!(
            from("::ffff:127.0.0.1", "8.8.8.8").as_deref(),
            Some("8.8.8.8")
        );
        assert!(in_network(ip("::1"), net("::1/128")));
        assert!(in_network(ip("192.168.1.7"), net("0.0.0.0/0")));
        assert!(!in_network(ip("192.168.1.7"), net("192.168.2.0/24")));
    }

    #[test]
    fn ipv4_mapped_addresses_match_either_form() {
        for peer in ["10.1.2.3", "::ffff:10.1.2.3"] {
            assert!(in_network(ip(peer), net("10.0.0.0/8")), "{peer}");
            assert!(in_network(ip(peer), net("::ffff:10.0.0.0/104")), "{peer}");
            assert!(!in_network(ip(peer), net("11.0.0.0/8")), "{peer}");
        }
        assert!(!in_network(ip("::1"), net("0.0.0.0/0")));
        assert!(in_network(ip("10.1.2.3"), net("::ffff:0:0/96")));
    }
}
