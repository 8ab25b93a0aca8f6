//! Durations in the configuration: humantime text such as `250ms`, `60s` or `1m 30s`.
//!
//! Each duration key replaces an older key holding a number of milliseconds (`*_ms`),
//! which is still read: [`RENAMED`] lists them, and `docs/configuration.md` gives the
//! rule and the migration table.

use std::fmt;
use std::time::Duration;

use serde::de::{self, Deserializer, Visitor};
use serde::{Deserialize, Serializer};

/// Every duration key with the millisecond key it replaces. When a configuration sets
/// both, the duration key wins, whichever source (file or environment) set each.
pub const RENAMED: &[(&str, &str)] = &[
    ("auth.token_cache_ttl", "auth.token_cache_ttl_ms"),
    ("auth.client_ip_flush", "auth.client_ip_flush_ms"),
    ("auth.whois_cache", "auth.whois_cache_ms"),
    ("shutdown.grace_period", "shutdown.grace_period_ms"),
];

/// A duration written as humantime text; a bare `0` is also accepted, since zero needs
/// no unit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct DurationText(pub Duration);

impl<'de> Deserialize<'de> for DurationText {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(TextVisitor).map(DurationText)
    }
}

struct TextVisitor;

impl Visitor<'_> for TextVisitor {
    type Value = Duration;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a duration with a unit, such as `250ms`, `60s` or `1m 30s`")
    }

    fn visit_str<E: de::Error>(self, text: &str) -> Result<Duration, E> {
        humantime::parse_duration(text.trim()).map_err(|error| {
            E::custom(format!(
                "{text:?} is not a duration ({error}); write e.g. `250ms`, `60s` or `1m 30s`"
            ))
        })
    }

    fn visit_u64<E: de::Error>(self, number: u64) -> Result<Duration, E> {
        // A bare number is ambiguous (the old keys counted milliseconds): only zero is
        // taken as it is.
        if number == 0 {
            Ok(Duration::ZERO)
        } else {
            Err(E::custom(format!(
                "{number} has no unit; write e.g. `{number}ms` or `{number}s`"
            )))
        }
    }

    fn visit_i64<E: de::Error>(self, number: i64) -> Result<Duration, E> {
        match u64::try_from(number) {
            Ok(number) => self.visit_u64(number),
            Err(_) => Err(E::custom(format!("{number} is negative"))),
        }
    }

    fn visit_f64<E: de::Error>(self, number: f64) -> Result<Duration, E> {
        Err(E::custom(format!(
            "{number} has no unit; write e.g. `{number}s`"
        )))
    }
}

/// Writes a duration as humantime text, the form [`DurationText`] reads back.
pub(crate) fn serialize<S: Serializer>(
    duration: &Duration,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    serializer.collect_str(&humantime::format_duration(*duration))
}

/// Reads a duration key that never had a millisecond form, as humantime text.
pub(crate) fn deserialize<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Duration, D::Error> {
    DurationText::deserialize(deserializer).map(|text| text.0)
}

/// The duration key's value, else the old millisecond key's, else the default.
pub(crate) fn pick(new: Option<DurationText>, old_ms: Option<u64>, default: Duration) -> Duration {
    new.map(|text| text.0)
        .or(old_ms.map(Duration::from_millis))
        .unwrap_or(default)
}
