//! The route table. Each endpoint lives in its own file; adding one is a new file here
//! plus one line in [`router`]. Client-server paths go through
//! [`ClientRoutes::client_route`], which serves them under both `r0` and `v3`.

use axum::Router;
use axum::routing::{MethodRouter, get, post};

use crate::state::AppState;

pub mod dendrite_reset_password;
pub mod login;
pub mod logout;
pub mod logout_all;
pub mod register;
pub mod server_version;
pub mod synapse_reset_password;
pub mod versions;
pub mod whoami;
pub mod whois;

/// Every route of the gateway.
pub fn router() -> Router<AppState> {
    Router::new()
        // Client-server API (§5).
        .route("/_matrix/client/versions", get(versions::get))
        .client_route("/login", get(login::flows).post(login::login))
        .client_route("/logout", post(logout::post))
        .client_route("/logout/all", post(logout_all::post))
        .client_route("/account/whoami", get(whoami::get))
        .client_route("/admin/whois/{userId}", get(whois::get))
        // Synapse admin API (§4).
        .route(
            "/_synapse/admin/v1/register",
            get(register::nonce).post(register::register),
        )
        .route(
            "/_synapse/admin/v1/reset_password/{userId}",
            post(synapse_reset_password::post),
        )
        .route("/_synapse/admin/v1/whois/{userId}", get(whois::get))
        .route(
            "/_synapse/admin/v1/server_version",
            get(server_version::get),
        )
        // Dendrite admin API (§3).
        .route(
            "/_dendrite/admin/resetPassword/{userID}",
            post(dendrite_reset_password::post),
        )
}

/// Registers client-server routes under every supported version prefix.
pub trait ClientRoutes {
    /// Serves `method_router` at `/_matrix/client/{r0,v3}{path}`.
    fn client_route(self, path: &str, method_router: MethodRouter<AppState>) -> Self;
}

impl ClientRoutes for Router<AppState> {
    fn client_route(self, path: &str, method_router: MethodRouter<AppState>) -> Self {
        ["r0", "v3"].into_iter().fold(self, |router, version| {
            router.route(
                &format!("/_matrix/client/{version}{path}"),
                method_router.clone(),
            )
        })
    }
}
