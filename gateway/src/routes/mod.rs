//! The route table. Each endpoint lives in its own file; adding one is a new file here
//! plus one line in [`router`]. Client-server paths go through
//! [`ClientRoutes::client_route`], which serves them under both `r0` and `v3`.

use axum::Router;
use axum::routing::{MethodRouter, get, post, put};

use crate::state::AppState;

pub mod dendrite_reset_password;
pub mod evacuate_room;
pub mod evacuate_user;
pub mod job_status;
pub mod login;
pub mod logout;
pub mod logout_all;
pub mod register;
pub mod rooms;
pub mod send_server_notice;
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
        .client_route("/createRoom", post(rooms::create::post))
        .client_route("/join/{roomIdOrAlias}", post(rooms::join::by_id_or_alias))
        .client_route("/rooms/{roomId}/join", post(rooms::join::by_room_id))
        .client_route("/rooms/{roomId}/leave", post(rooms::leave::post))
        .client_route("/rooms/{roomId}/invite", post(rooms::invite::post))
        .client_route("/joined_rooms", get(rooms::joined_rooms::get))
        .client_route(
            "/rooms/{roomId}/joined_members",
            get(rooms::members::joined),
        )
        .client_route("/rooms/{roomId}/members", get(rooms::members::get))
        .client_route("/rooms/{roomId}/messages", get(rooms::messages::get))
        .client_route("/rooms/{roomId}/state", get(rooms::state::get))
        .client_route(
            "/rooms/{roomId}/send/{eventType}/{txnId}",
            put(rooms::send::put),
        )
        .client_route("/user/{userId}/rooms/{roomId}/tags", get(rooms::tags::get))
        .client_route("/sync", get(rooms::sync::get))
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
            "/_synapse/admin/v1/send_server_notice",
            post(send_server_notice::post),
        )
        .route(
            "/_synapse/admin/v1/send_server_notice/{txnId}",
            put(send_server_notice::put),
        )
        .route(
            "/_synapse/admin/v1/server_version",
            get(server_version::get),
        )
        // Dendrite admin API (§3).
        .route(
            "/_dendrite/admin/resetPassword/{userID}",
            post(dendrite_reset_password::post),
        )
        .route(
            "/_dendrite/admin/evacuateRoom/{roomID}",
            get(evacuate_room::handle).post(evacuate_room::handle),
        )
        .route(
            "/_dendrite/admin/evacuateUser/{userID}",
            get(evacuate_user::handle).post(evacuate_user::handle),
        )
        .route("/_dendrite/admin/jobs/{jobId}", get(job_status::get))
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
