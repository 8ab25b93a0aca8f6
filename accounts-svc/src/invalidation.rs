//! Telling every gateway replica to forget what it cached about a user's tokens.
//!
//! Contract (the gateway relies on it): topic [`AUTH_TOPIC`], payload = the affected user
//! ID. Sent after the database change has committed, so a gateway that re-reads on
//! receipt sees the new state. A failed publish is logged, not returned: the change
//! itself succeeded, and the gateway's cache TTL bounds the staleness.

use bailiff_domain::UserId;
use replica_bus::ReplicaBus;

/// Bus topic for "drop cached authentication answers for this user".
pub const AUTH_TOPIC: &str = "auth";

/// Publishes cache invalidations on the replica bus.
#[derive(Clone)]
pub struct Invalidations {
    bus: ReplicaBus,
}

impl Invalidations {
    /// Wraps the process's bus.
    pub fn new(bus: ReplicaBus) -> Self {
        Self { bus }
    }

    /// The user's tokens, admin flag or deactivation changed. Call after commit.
    pub async fn user_changed(&self, user_id: &UserId) {
        if let Err(error) = self.bus.publish(AUTH_TOPIC, user_id.as_str()).await {
            tracing::warn!(%error, %user_id, "cannot broadcast auth invalidation");
        }
    }
}
