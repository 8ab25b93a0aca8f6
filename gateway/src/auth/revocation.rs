//! Keeps the token and whois caches coherent: listens on bus topic `auth` (payload: a
//! user ID whose tokens, devices or admin flag changed) and drops that user's entries; on
//! a gap in the bus, drops everything.

use replica_bus::BusMessage;
use tokio::sync::broadcast;
use tokio_util::sync::CancellationToken;

/// The bus topic accounts-svc publishes revocations and admin changes on.
pub const AUTH_TOPIC: &str = "auth";

/// What holds cached answers about users (the application state implements it).
pub trait Forget {
    /// Drops what is cached about one user.
    fn forget_user(&self, user_id: &str);
    /// Drops everything cached.
    fn forget_everyone(&self);
}

/// Runs until `shutdown` or until the bus closes.
pub async fn watch(
    mut messages: broadcast::Receiver<BusMessage>,
    caches: impl Forget,
    shutdown: CancellationToken,
) {
    loop {
        let message = tokio::select! {
            () = shutdown.cancelled() => return,
            message = messages.recv() => message,
        };
        match message {
            Ok(BusMessage::Published(user_id)) => caches.forget_user(&user_id),
            Ok(BusMessage::Gap) | Err(broadcast::error::RecvError::Lagged(_)) => {
                caches.forget_everyone();
            }
            Err(broadcast::error::RecvError::Closed) => return,
        }
    }
}
