//! Waiting on another request's claim (room creation or transaction), on any replica.

use std::future::Future;
use std::time::{Duration, Instant};

use bailiff_domain::now_ms;

use crate::error::{Error, Result};

/// A claim (room creation or transaction) older than this is presumed abandoned by a
/// replica that died, and may be taken over.
const STALE_CLAIM: Duration = Duration::from_secs(30);

/// How long a request waits for another's claim before giving up with 503.
const WAIT_LIMIT: Duration = Duration::from_secs(40);

/// A fresh claim token: only its holder can complete or release the claim.
pub(super) fn new_token() -> String {
    uuid::Uuid::new_v4().simple().to_string()
}

/// Claims taken before this instant (ms since the epoch) are stale.
pub(super) fn stale_before(now: i64) -> i64 {
    now - i64::try_from(STALE_CLAIM.as_millis()).unwrap_or(i64::MAX)
}

/// Whether a claim taken at `claimed_ts` is stale now.
pub(super) fn is_stale(claimed_ts: i64) -> bool {
    claimed_ts < stale_before(now_ms())
}

/// Polls `attempt` until it yields `Some`, backing off from 5 ms to 50 ms, for at most
/// [`WAIT_LIMIT`] (then [`Error::GaveUp`], a 503).
pub(super) async fn wait_for<T, F, Fut>(mut attempt: F) -> Result<T>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<Option<T>>>,
{
    let started = Instant::now();
    let mut delay = Duration::from_millis(5);
    loop {
        if let Some(value) = attempt().await? {
            return Ok(value);
        }
        if started.elapsed() > WAIT_LIMIT {
            return Err(Error::GaveUp);
        }
        tokio::time::sleep(delay).await;
        delay = (delay * 2).min(Duration::from_millis(50));
    }
}
