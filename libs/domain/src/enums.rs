//! The closed sets of the domain. Each enum has one spelling per variant (`as_str`),
//! used in JSON, in database columns and in logs; `FromStr` accepts exactly those.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// A spelling that names no variant of the enum being parsed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown {what}: {value:?}")]
pub struct UnknownVariant {
    /// The kind of value (`"membership"`, `"job kind"`, …).
    pub what: &'static str,
    /// What was found.
    pub value: String,
}

/// Declares an enum whose variants map one-to-one to lower-case spellings.
macro_rules! spelled_enum {
    ($(#[$meta:meta])* $name:ident, $what:literal { $($(#[$vmeta:meta])* $variant:ident => $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
        pub enum $name {
            $($(#[$vmeta])* #[serde(rename = $text)] $variant),+
        }

        impl $name {
            /// Every variant, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The spelling used on the wire and in the database.
            pub const fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text),+
                }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl FromStr for $name {
            type Err = UnknownVariant;

            fn from_str(value: &str) -> Result<Self, Self::Err> {
                match value {
                    $($text => Ok($name::$variant),)+
                    _ => Err(UnknownVariant { what: $what, value: value.to_owned() }),
                }
            }
        }

        /// Compares with a spelling (a column read as text, a test's expectation).
        impl PartialEq<&str> for $name {
            fn eq(&self, other: &&str) -> bool {
                self.as_str() == *other
            }
        }

        impl TryFrom<&str> for $name {
            type Error = UnknownVariant;

            fn try_from(value: &str) -> Result<Self, Self::Error> {
                value.parse()
            }
        }

        impl TryFrom<String> for $name {
            type Error = UnknownVariant;

            fn try_from(value: String) -> Result<Self, Self::Error> {
                value.parse()
            }
        }
    };
}

spelled_enum! {
    /// A user's membership of a room (`m.room.member` `membership`).
    Membership, "membership" {
        /// In the room.
        Join => "join",
        /// Invited, not yet joined.
        Invite => "invite",
        /// Left, rejected an invite, or was kicked.
        Leave => "leave",
        /// Banned.
        Ban => "ban",
        /// Asked to join.
        Knock => "knock",
    }
}

spelled_enum! {
    /// What a job works through.
    JobKind, "job kind" {
        /// Every local joined member of a room leaves it.
        Room => "room",
        /// A user leaves every joined room and rejects every invite.
        User => "user",
        /// A room is shut down (its local members leave, optionally into a notification
        /// room), optionally blocked, and optionally purged.
        RoomDeletion => "room_deletion",
    }
}

spelled_enum! {
    /// Where a job is in its life. `Complete` and `Failed` are final.
    JobStatus, "job status" {
        /// Recorded; no chunk applied yet.
        Queued => "queued",
        /// At least one chunk applied, some still pending.
        Running => "running",
        /// Every chunk applied.
        Complete => "complete",
        /// Every chunk settled, at least one dead-lettered.
        Failed => "failed",
    }
}

impl JobStatus {
    /// Whether the job can no longer change.
    pub const fn is_final(self) -> bool {
        matches!(self, JobStatus::Complete | JobStatus::Failed)
    }
}

spelled_enum! {
    /// The state of one chunk of a job. A chunk leaves `Pending` exactly once, which is
    /// what keeps a job's counters exact under redelivery.
    ChunkState, "chunk state" {
        /// Not applied yet.
        Pending => "pending",
        /// Applied.
        Done => "done",
        /// Dead-lettered: delivered too often without success.
        Failed => "failed",
    }
}
