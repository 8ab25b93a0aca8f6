//! Time as stored.

use std::time::{SystemTime, UNIX_EPOCH};

/// Milliseconds since the Unix epoch: the time unit of every column and every answer.
/// A clock set before 1970 reads 0 rather than failing a request.
pub fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}
