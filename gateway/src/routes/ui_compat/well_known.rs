//! `GET /.well-known/matrix/client` (no token): where clients reach this server.
//!
//! Ketesa fetches it from the origin of the URL typed on its login page and replaces that
//! URL with `m.homeserver.base_url` (`shared/SYNAPSE-ADMIN.md` §2.2), so it must name
//! this gateway: the `public_base_url` key, else the URL of the listener as bound (so a
//! port chosen by the OS, as in the tests, is the real one).

use std::net::SocketAddr;

use axum::extract::State;
use axum::{Extension, Json};
use serde::Serialize;

use crate::state::AppState;

/// The address the HTTP listener is bound to, set by [`crate::serve`].
#[derive(Debug, Clone, Copy)]
pub struct ListenerAddr(pub SocketAddr);

/// The answer.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct WellKnownClient {
    #[serde(rename = "m.homeserver")]
    pub homeserver: HomeServer,
}

/// `m.homeserver`.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct HomeServer {
    /// The gateway's public URL, no trailing slash.
    pub base_url: String,
}

/// The discovery document.
pub async fn get(
    State(state): State<AppState>,
    listener: Option<Extension<ListenerAddr>>,
) -> Json<WellKnownClient> {
    let base_url = match &state.config.public_base_url {
        Some(url) => url.trim_end_matches('/').to_owned(),
        None => {
            // Without `serve` (a router built in a unit test) the configured address
            // stands in for the bound one.
            let addr = listener.map_or(state.config.listen.http, |Extension(ListenerAddr(a))| a);
            format!("http://{addr}")
        }
    };
    Json(WellKnownClient {
        homeserver: HomeServer { base_url },
    })
}
