//! Account moderation (`docs/http-api.md` §9): the Matrix spec's lock and suspend
//! endpoints (v1.18, MSC4323) under `v1` and the unstable prefix, Synapse's own suspend
//! endpoint, and the capabilities that tell a client what its user may do.
//!
//! Both flags live on the account in accounts-svc and travel with every token lookup, so
//! they are set through `PutUser` — the same call, invalidation broadcast and cache path
//! as the users admin API's `locked` (`routes::users_admin::put_user`) — and felt on
//! every gateway within a second. [`target`] holds the spec endpoints' shared check order.

use axum::routing::{get, put};

use super::{GET, GET_PUT, PUT, Route, client, route};

pub mod capabilities;
pub mod lock;
pub mod suspend;
pub mod synapse_suspend;
pub mod target;

/// The area's routes: each spec endpoint under the stable `v1` prefix and under
/// MSC4323's unstable one, which answer the same.
pub(super) fn routes() -> Vec<Route> {
    vec![
        route(
            "/_matrix/client/v1/admin/suspend/{userId}",
            GET_PUT,
            get(suspend::get).put(suspend::put),
        ),
        route(
            "/_matrix/client/unstable/uk.timedout.msc4323/admin/suspend/{userId}",
            GET_PUT,
            get(suspend::get).put(suspend::put),
        ),
        route(
            "/_matrix/client/v1/admin/lock/{userId}",
            GET_PUT,
            get(lock::get).put(lock::put),
        ),
        route(
            "/_matrix/client/unstable/uk.timedout.msc4323/admin/lock/{userId}",
            GET_PUT,
            get(lock::get).put(lock::put),
        ),
        route(
            "/_synapse/admin/v1/suspend/{userId}",
            PUT,
            put(synapse_suspend::put),
        ),
        client("/capabilities", GET, get(capabilities::get)),
    ]
}
