//! Keeps the token and whois caches coherent: listens on bus topic `auth` (payload: a
//! user ID whose tokens, devices or admin flag changed) and drops that user's entries; on
//! a gap in the bus, drops everything.

use replica_bus::BusMessage;
use tokio::sync::broadcast;
use tokio_util::sync::CancellationToken;

use crate::state::AppState;

/// The bus topic accounts-svc publishes revocations and admin changes on.
pub const AUTH_TOPIC: &str = "auth";

/// Runs until `shutdown` or until the bus closes.
pub async fn watch(
    mut messages: broadcast::Receiver<BusMessage>,
    state: AppState,
    shutdown: CancellationToken,
) {
    loop {
        let message = tokio::select! {
            () = shutdown.cancelled() => return,
            message = messages.recv() => message,
        };
        match message {
            Ok(BusMessage::Published(user_id)) => state.forget_user(&user_id),
            Ok(BusMessage::Gap) | Err(broadcast::error::RecvError::Lagged(_)) => {
                state.forget_everyone();
            }
            Err(broadcast::error::RecvError::Closed) => return,
        }
    }
}
