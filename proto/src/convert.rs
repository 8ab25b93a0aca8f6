//! Conversions between the domain's enums (`bailiff-domain`) and their protobuf
//! counterparts, in one place. Every domain value has a protobuf value; the reverse
//! fails for `UNSPECIFIED` and for numbers this build does not know, which a service
//! answers with `INVALID_ARGUMENT` (see [`Unspecified`]).

use bailiff_domain as domain;

use crate::membership as pb;

/// A protobuf enum field that holds no domain value: `UNSPECIFIED` (0) or a number
/// unknown to this build.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("{what} is unspecified or unknown ({value})")]
pub struct Unspecified {
    /// The enum (`"membership"`, `"job kind"`, …).
    pub what: &'static str,
    /// The number received.
    pub value: i32,
}

/// Declares the two conversions between a domain enum and its protobuf enum, plus a
/// decoder for the raw `i32` prost stores in message fields.
macro_rules! enum_conversions {
    ($domain:ident, $pb:ident, $what:literal, $decode:ident { $($variant:ident => $pb_variant:ident),+ $(,)? }) => {
        impl From<domain::$domain> for pb::$pb {
            fn from(value: domain::$domain) -> Self {
                match value {
                    $(domain::$domain::$variant => pb::$pb::$pb_variant),+
                }
            }
        }

        impl TryFrom<pb::$pb> for domain::$domain {
            type Error = Unspecified;

            fn try_from(value: pb::$pb) -> Result<Self, Self::Error> {
                match value {
                    $(pb::$pb::$pb_variant => Ok(domain::$domain::$variant),)+
                    other => Err(Unspecified { what: $what, value: other as i32 }),
                }
            }
        }

        #[doc = concat!("Decodes a `", stringify!($pb), "` field (prost's `i32`) into the domain enum.")]
        pub fn $decode(value: i32) -> Result<domain::$domain, Unspecified> {
            pb::$pb::try_from(value)
                .map_err(|_| Unspecified { what: $what, value })
                .and_then(domain::$domain::try_from)
        }
    };
}

enum_conversions!(Membership, Membership, "membership", membership {
    Join => Join,
    Invite => Invite,
    Leave => Leave,
    Ban => Ban,
    Knock => Knock,
});

enum_conversions!(JobKind, JobKind, "job kind", job_kind {
    Room => Room,
    User => User,
    RoomDeletion => RoomDeletion,
});

enum_conversions!(JobStatus, JobStatus, "job status", job_status {
    Queued => Queued,
    Running => Running,
    Complete => Complete,
    Failed => Failed,
});

/// Decodes an optional membership field: `UNSPECIFIED` means absent (e.g. "no filter");
/// a number unknown to this build is still an error.
pub fn optional_membership(value: i32) -> Result<Option<domain::Membership>, Unspecified> {
    if value == pb::Membership::Unspecified as i32 {
        Ok(None)
    } else {
        membership(value).map(Some)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_domain_value_round_trips() {
        for m in domain::Membership::ALL {
            assert_eq!(membership(pb::Membership::from(*m) as i32), Ok(*m));
        }
        for k in domain::JobKind::ALL {
            assert_eq!(job_kind(pb::JobKind::from(*k) as i32), Ok(*k));
        }
        for s in domain::JobStatus::ALL {
            assert_eq!(job_status(pb::JobStatus::from(*s) as i32), Ok(*s));
        }
    }

    #[test]
    fn unspecified_and_unknown_numbers_are_errors() {
        assert!(membership(0).is_err());
        assert!(membership(99).is_err());
        assert!(job_kind(0).is_err());
        assert!(job_status(-1).is_err());
        assert_eq!(optional_membership(0), Ok(None));
        assert_eq!(
            optional_membership(pb::Membership::Ban as i32),
            Ok(Some(domain::Membership::Ban))
        );
        assert!(optional_membership(42).is_err());
    }
}
