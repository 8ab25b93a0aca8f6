//! The routes of what the admin web UIs need beyond the admin API: discovery, the
//! client-server account data read, and well-formed empty answers for the pages whose
//! data bailiff does not keep (`shared/SYNAPSE-ADMIN.md` §6; docs/http-api.md §7
//! "Stubs" and §8). Anything else the UIs call and nobody serves falls through to
//! `404 M_UNRECOGNIZED`, never 401/403, which would log synapse-admin out.

use axum::routing::get;

use super::{GET, Route, client, route};

pub mod account_data;
pub mod menu_stubs;
pub mod room_stubs;
pub mod user_stubs;
pub mod well_known;

/// The area's routes.
pub(super) fn routes() -> Vec<Route> {
    vec![
        route("/.well-known/matrix/client", GET, get(well_known::get)),
        client(
            "/user/{userId}/account_data/{type}",
            GET,
            get(account_data::get),
        ),
        route(
            "/_synapse/admin/v1/users/{userId}/media",
            GET,
            get(user_stubs::media),
        ),
        route(
            "/_synapse/admin/v1/users/{userId}/pushers",
            GET,
            get(user_stubs::pushers),
        ),
        route(
            "/_synapse/admin/v1/users/{userId}/override_ratelimit",
            GET,
            get(user_stubs::override_ratelimit),
        ),
        route(
            "/_synapse/admin/v1/experimental_features/{userId}",
            GET,
            get(user_stubs::experimental_features),
        ),
        route(
            "/_synapse/admin/v1/federation/destinations",
            GET,
            get(menu_stubs::destinations),
        ),
        route(
            "/_synapse/admin/v1/statistics/users/media",
            GET,
            get(menu_stubs::user_media_statistics),
        ),
        route(
            "/_synapse/admin/v1/statistics/database/rooms",
            GET,
            get(menu_stubs::database_room_statistics),
        ),
        route(
            "/_synapse/admin/v1/user_reports",
            GET,
            get(menu_stubs::user_reports),
        ),
        route(
            "/_synapse/admin/v1/event_reports",
            GET,
            get(menu_stubs::event_reports),
        ),
        route(
            "/_synapse/admin/v1/scheduled_tasks",
            GET,
            get(menu_stubs::scheduled_tasks),
        ),
        route(
            "/_synapse/admin/v1/registration_tokens",
            GET,
            get(menu_stubs::registration_tokens),
        ),
        route(
            "/_synapse/admin/v1/room/{roomId}/media",
            GET,
            get(room_stubs::media),
        ),
        route(
            "/_synapse/admin/v1/rooms/{roomId}/forward_extremities",
            GET,
            get(room_stubs::forward_extremities),
        ),
    ]
}
