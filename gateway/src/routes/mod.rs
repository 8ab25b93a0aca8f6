//! The route table. Each endpoint lives in its own file; adding one is a new file here
//! plus one line in [`routes`]. Client-server paths are served under both `r0` and `v3`
//! ([`CLIENT_PREFIXES`]). The table also lists each path's methods, which the OpenAPI
//! document ([`crate::openapi`]) and the end-to-end tests check against.

use axum::Router;
use axum::routing::{MethodRouter, get, post, put};
use serde::{Deserialize, Serialize};

use crate::extract::QueryBool;
use crate::state::AppState;

pub mod dendrite_reset_password;
pub mod evacuate_room;
pub mod evacuate_user;
pub mod job_status;
pub mod login;
pub mod logout;
pub mod logout_all;
pub mod moderation;
pub mod register;
pub mod room_deletion;
pub mod rooms;
pub mod rooms_admin;
pub mod send_server_notice;
pub mod server_version;
pub mod synapse_reset_password;
pub mod ui_compat;
pub mod users_admin;
pub mod versions;
pub mod whoami;
pub mod whois;

/// `{}`: the answer of endpoints that return nothing, and the body of those that take
/// nothing (any object is accepted; its keys are ignored).
#[derive(Debug, Default, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Empty {}

/// `{"event_id"}`: the answer of endpoints that send an event.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct EventIdResponse {
    pub event_id: String,
}

/// The query of the evacuate endpoints.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct EvacuateQuery {
    /// `true` answers `202` at once with the job's ID; default `false` waits for the end.
    #[serde(rename = "async")]
    #[param(value_type = Option<bool>)]
    pub asynchronous: Option<QueryBool>,
}

impl EvacuateQuery {
    /// Whether to answer before the job is done.
    pub fn asynchronous(&self) -> bool {
        self.asynchronous.is_some_and(|QueryBool(value)| value)
    }
}

/// One entry of the route table.
pub struct Route {
    /// The path template; for a client route, the part after `/_matrix/client/{r0,v3}`.
    pub path: &'static str,
    /// Served under both client-server version prefixes.
    pub client: bool,
    /// The methods `handler` answers, upper case. The OpenAPI document describes exactly
    /// these, and the end-to-end tests check the router answers exactly these.
    pub methods: &'static [&'static str],
    handler: MethodRouter<AppState>,
}

pub(crate) fn client(
    path: &'static str,
    methods: &'static [&'static str],
    handler: MethodRouter<AppState>,
) -> Route {
    Route {
        path,
        client: true,
        methods,
        handler,
    }
}

pub(crate) fn route(
    path: &'static str,
    methods: &'static [&'static str],
    handler: MethodRouter<AppState>,
) -> Route {
    Route {
        path,
        client: false,
        methods,
        handler,
    }
}

/// Method lists for [`Route::methods`].
pub(crate) const GET: &[&str] = &["GET"];
pub(crate) const POST: &[&str] = &["POST"];
pub(crate) const PUT: &[&str] = &["PUT"];
pub(crate) const DELETE: &[&str] = &["DELETE"];
pub(crate) const GET_POST: &[&str] = &["GET", "POST"];
pub(crate) const GET_PUT: &[&str] = &["GET", "PUT"];

/// The client-server version prefixes every client route is served under.
pub const CLIENT_PREFIXES: [&str; 2] = ["/_matrix/client/r0", "/_matrix/client/v3"];

/// The route table: every path, its methods and handlers. The core routes are listed
/// here; each admin area lists its own in its module.
fn routes() -> Vec<Route> {
    let mut routes = core_routes();
    routes.extend(users_admin::routes());
    routes.extend(rooms_admin::routes());
    routes.extend(room_deletion::routes());
    routes.extend(ui_compat::routes());
    routes.extend(moderation::routes());
    routes
}

/// The routes that predate the admin areas.
fn core_routes() -> Vec<Route> {
    vec![
        // Client-server API.
        route("/_matrix/client/versions", GET, get(versions::get)),
        client("/login", GET_POST, get(login::flows).post(login::login)),
        client("/logout", POST, post(logout::post)),
        client("/logout/all", POST, post(logout_all::post)),
        client("/account/whoami", GET, get(whoami::get)),
        client("/admin/whois/{userId}", GET, get(whois::get)),
        client("/createRoom", POST, post(rooms::create::post)),
        client(
            "/join/{roomIdOrAlias}",
            POST,
            post(rooms::join::by_id_or_alias),
        ),
        client("/rooms/{roomId}/join", POST, post(rooms::join::by_room_id)),
        client("/rooms/{roomId}/leave", POST, post(rooms::leave::post)),
        client("/rooms/{roomId}/invite", POST, post(rooms::invite::post)),
        client("/joined_rooms", GET, get(rooms::joined_rooms::get)),
        client(
            "/rooms/{roomId}/joined_members",
            GET,
            get(rooms::members::joined),
        ),
        client("/rooms/{roomId}/members", GET, get(rooms::members::get)),
        client("/rooms/{roomId}/messages", GET, get(rooms::messages::get)),
        client("/rooms/{roomId}/state", GET, get(rooms::state::get)),
        client(
            "/rooms/{roomId}/send/{eventType}/{txnId}",
            PUT,
            put(rooms::send::put),
        ),
        client(
            "/user/{userId}/rooms/{roomId}/tags",
            GET,
            get(rooms::tags::get),
        ),
        client("/sync", GET, get(rooms::sync::get)),
        // Synapse admin API.
        route(
            "/_synapse/admin/v1/register",
            GET_POST,
            get(register::nonce).post(register::register),
        ),
        route(
            "/_synapse/admin/v1/reset_password/{userId}",
            POST,
            post(synapse_reset_password::post),
        ),
        route(
            "/_synapse/admin/v1/whois/{userId}",
            GET,
            get(whois::synapse),
        ),
        route(
            "/_synapse/admin/v1/send_server_notice",
            POST,
            post(send_server_notice::post),
        ),
        route(
            "/_synapse/admin/v1/send_server_notice/{txnId}",
            PUT,
            put(send_server_notice::put),
        ),
        route(
            "/_synapse/admin/v1/server_version",
            GET,
            get(server_version::get),
        ),
        // Dendrite admin API.
        route(
            "/_dendrite/admin/resetPassword/{userID}",
            POST,
            post(dendrite_reset_password::post),
        ),
        route(
            "/_dendrite/admin/evacuateRoom/{roomID}",
            GET_POST,
            get(evacuate_room::handle).post(evacuate_room::handle),
        ),
        route(
            "/_dendrite/admin/evacuateUser/{userID}",
            GET_POST,
            get(evacuate_user::handle).post(evacuate_user::handle),
        ),
        route("/_dendrite/admin/jobs/{jobId}", GET, get(job_status::get)),
        // This server's own.
        route(crate::openapi::PATH, GET, get(crate::openapi::serve)),
    ]
}

impl Route {
    /// The full paths this route is served at.
    pub fn full_paths(&self) -> Vec<String> {
        if self.client {
            CLIENT_PREFIXES
                .iter()
                .map(|prefix| format!("{prefix}{}", self.path))
                .collect()
        } else {
            vec![self.path.to_owned()]
        }
    }
}

/// Every `(method, full path)` the router answers, in table order.
pub fn table() -> Vec<(&'static str, String)> {
    routes()
        .iter()
        .flat_map(|route| {
            route.full_paths().into_iter().flat_map(|path| {
                route
                    .methods
                    .iter()
                    .map(move |method| (*method, path.clone()))
            })
        })
        .collect()
}

/// Every route of the gateway.
pub fn router() -> Router<AppState> {
    routes().into_iter().fold(Router::new(), |router, route| {
        route.full_paths().iter().fold(router, |router, path| {
            router.route(path, route.handler.clone())
        })
    })
}
