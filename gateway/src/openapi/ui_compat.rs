//! The operations of what the admin web UIs need beyond the admin API (`routes::ui_compat`).

use utoipa::openapi::path::HttpMethod;

use super::builder::{Access, Op, Schemas};
use super::operations::{CLIENT, ROOM_ID, SYNAPSE, USER_ID};
use crate::routes::ui_compat::{menu_stubs, room_stubs, user_stubs, well_known};

/// An admin `GET` answering `T`, with no parameters.
fn admin_get<T: utoipa::ToSchema>(
    s: &mut Schemas,
    path: &'static str,
    id: &'static str,
    summary: &'static str,
) -> Op {
    Op::new(HttpMethod::Get, path, id, SYNAPSE, summary)
        .access(Access::Admin)
        .answer::<T>(s, 200, "Always empty")
}

/// Every operation of the area, in the area's route order.
pub(super) fn operations(s: &mut Schemas) -> Vec<Op> {
    use HttpMethod::Get;
    vec![
        Op::new(
            Get,
            "/.well-known/matrix/client",
            "well_known_client",
            CLIENT,
            "Where clients reach this server (`public_base_url`)",
        )
        .answer::<well_known::WellKnownClient>(s, 200, "The base URL"),
        Op::new(
            Get,
            "/user/{userId}/account_data/{type}",
            "get_account_data",
            CLIENT,
            "The caller's global account data of one type (none is kept: 404)",
        )
        .client()
        .access(Access::User)
        .path_param("userId", USER_ID)
        .path_param("type", "The account data type")
        .errors(&[400, 404]),
        admin_get::<user_stubs::UserMedia>(
            s,
            "/_synapse/admin/v1/users/{userId}/media",
            "user_media",
            "A user's media (none is kept)",
        )
        .path_param("userId", USER_ID)
        .errors(&[400]),
        admin_get::<user_stubs::UserPushers>(
            s,
            "/_synapse/admin/v1/users/{userId}/pushers",
            "user_pushers",
            "A user's pushers (none is kept)",
        )
        .path_param("userId", USER_ID)
        .errors(&[400]),
        admin_get::<user_stubs::RatelimitOverride>(
            s,
            "/_synapse/admin/v1/users/{userId}/override_ratelimit",
            "user_override_ratelimit",
            "A user's rate-limit override (none)",
        )
        .path_param("userId", USER_ID)
        .errors(&[400]),
        admin_get::<user_stubs::ExperimentalFeatures>(
            s,
            "/_synapse/admin/v1/experimental_features/{userId}",
            "user_experimental_features",
            "A user's experimental features (none)",
        )
        .path_param("userId", USER_ID)
        .errors(&[400]),
        admin_get::<menu_stubs::Destinations>(
            s,
            "/_synapse/admin/v1/federation/destinations",
            "federation_destinations",
            "Federation destinations (none: bailiff does not federate)",
        ),
        admin_get::<menu_stubs::UserMediaStatistics>(
            s,
            "/_synapse/admin/v1/statistics/users/media",
            "user_media_statistics",
            "Media use per user (none is kept)",
        ),
        admin_get::<menu_stubs::DatabaseRoomStatistics>(
            s,
            "/_synapse/admin/v1/statistics/database/rooms",
            "database_room_statistics",
            "Database size per room (not measured)",
        ),
        admin_get::<menu_stubs::UserReports>(
            s,
            "/_synapse/admin/v1/user_reports",
            "user_reports",
            "Reports about users (none are taken)",
        ),
        admin_get::<menu_stubs::EventReports>(
            s,
            "/_synapse/admin/v1/event_reports",
            "event_reports",
            "Reports about events (none are taken)",
        ),
        admin_get::<menu_stubs::ScheduledTasks>(
            s,
            "/_synapse/admin/v1/scheduled_tasks",
            "scheduled_tasks",
            "Synapse's scheduled tasks (none; see the jobs endpoint)",
        ),
        admin_get::<menu_stubs::RegistrationTokens>(
            s,
            "/_synapse/admin/v1/registration_tokens",
            "registration_tokens",
            "Registration tokens (none: shared-secret registration only)",
        ),
        admin_get::<room_stubs::RoomMedia>(
            s,
            "/_synapse/admin/v1/room/{roomId}/media",
            "room_media",
            "A room's media (none is kept)",
        )
        .path_param("roomId", ROOM_ID)
        .errors(&[400]),
        admin_get::<room_stubs::ForwardExtremities>(
            s,
            "/_synapse/admin/v1/rooms/{roomId}/forward_extremities",
            "room_forward_extremities",
            "A room's forward extremities (none reported)",
        )
        .path_param("roomId", ROOM_ID)
        .errors(&[400]),
    ]
}
