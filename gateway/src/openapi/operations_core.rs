//! What each operation of the core routes takes and answers (the routes listed in
//! [`crate::routes`] itself; each admin area lists its own in `operations/<area>.rs`).

use utoipa::openapi::path::HttpMethod;

use super::builder::{Access, Op, Schemas};
use super::operations::{BAILIFF, CLIENT, DENDRITE, ROOM_ID, SYNAPSE, USER_ID};
use crate::routes::job_status::{EvacuationDone, EvacuationStarted, JobRecord};
use crate::routes::rooms::{self as room, ClientEvent, ReasonBody};
use crate::routes::{self, Empty, EvacuateQuery, EventIdResponse};

/// Every core operation, in route table order.
pub(super) fn operations(s: &mut Schemas) -> Vec<Op> {
    use Access::{Admin, User};
    use HttpMethod::{Get, Post, Put};
    vec![
        Op::new(
            Get,
            "/_matrix/client/versions",
            "versions",
            CLIENT,
            "Spec versions this server speaks",
        )
        .answer::<routes::versions::Versions>(s, 200, "The versions"),
        Op::new(
            Get,
            "/login",
            "login_flows",
            CLIENT,
            "Supported login flows",
        )
        .client()
        .answer::<routes::login::LoginFlows>(s, 200, "The flows"),
        Op::new(Post, "/login", "login", CLIENT, "Password login")
            .client()
            .body::<routes::login::LoginBody>(s, true)
            .answer::<routes::login::LoginResponse>(s, 200, "Logged in")
            .errors(&[403]),
        Op::new(
            Post,
            "/logout",
            "logout",
            CLIENT,
            "Revoke the caller's token and device",
        )
        .client()
        .access(User)
        .answer::<Empty>(s, 200, "Logged out"),
        Op::new(
            Post,
            "/logout/all",
            "logout_all",
            CLIENT,
            "Revoke every token and device of the caller",
        )
        .client()
        .access(User)
        .answer::<Empty>(s, 200, "Logged out everywhere"),
        Op::new(
            Get,
            "/account/whoami",
            "whoami",
            CLIENT,
            "Who the token belongs to",
        )
        .client()
        .access(User)
        .answer::<routes::whoami::WhoAmI>(s, 200, "The caller"),
        Op::new(
            Get,
            "/admin/whois/{userId}",
            "client_whois",
            CLIENT,
            "Devices and connections of a local user (self, or admin)",
        )
        .client()
        .access(User)
        .path_param("userId", USER_ID)
        .answer::<routes::whois::WhoisResponse>(s, 200, "The user's devices")
        .errors(&[400, 403]),
        Op::new(Post, "/createRoom", "create_room", CLIENT, "Create a room")
            .client()
            .access(User)
            .body::<room::create::CreateRoomBody>(s, false)
            .answer::<room::create::CreateRoomResponse>(s, 200, "The new room")
            .errors(&[403]),
        Op::new(
            Post,
            "/join/{roomIdOrAlias}",
            "join_room_by_id_or_alias",
            CLIENT,
            "Join a room by ID (aliases are not supported: 404)",
        )
        .client()
        .access(User)
        .path_param(
            "roomIdOrAlias",
            "A room ID or a room alias, percent-encoded",
        )
        .body::<ReasonBody>(s, false)
        .answer::<room::join::JoinResponse>(s, 200, "Joined")
        .errors(&[403, 404]),
        Op::new(
            Post,
            "/rooms/{roomId}/join",
            "join_room",
            CLIENT,
            "Join a room",
        )
        .client()
        .access(User)
        .path_param("roomId", ROOM_ID)
        .body::<ReasonBody>(s, false)
        .answer::<room::join::JoinResponse>(s, 200, "Joined")
        .errors(&[403, 404]),
        Op::new(
            Post,
            "/rooms/{roomId}/leave",
            "leave_room",
            CLIENT,
            "Leave a room or reject an invite",
        )
        .client()
        .access(User)
        .path_param("roomId", ROOM_ID)
        .body::<ReasonBody>(s, false)
        .answer::<Empty>(s, 200, "Left")
        .errors(&[403, 404]),
        Op::new(
            Post,
            "/rooms/{roomId}/invite",
            "invite_user",
            CLIENT,
            "Invite a user",
        )
        .client()
        .access(User)
        .path_param("roomId", ROOM_ID)
        .body::<room::invite::InviteBody>(s, true)
        .answer::<Empty>(s, 200, "Invited")
        .errors(&[403, 404]),
        Op::new(
            Get,
            "/joined_rooms",
            "joined_rooms",
            CLIENT,
            "Rooms the caller is joined to",
        )
        .client()
        .access(User)
        .answer::<room::joined_rooms::JoinedRooms>(s, 200, "The rooms"),
        Op::new(
            Get,
            "/rooms/{roomId}/joined_members",
            "joined_members",
            CLIENT,
            "Joined members and their profiles",
        )
        .client()
        .access(User)
        .path_param("roomId", ROOM_ID)
        .answer::<room::members::JoinedMembers>(s, 200, "The members")
        .errors(&[400, 403, 404]),
        Op::new(
            Get,
            "/rooms/{roomId}/members",
            "members",
            CLIENT,
            "Member events, optionally filtered by membership",
        )
        .client()
        .access(User)
        .path_param("roomId", ROOM_ID)
        .query::<room::members::MembersQuery>()
        .answer::<room::members::Members>(s, 200, "The member events")
        .errors(&[400, 403, 404]),
        Op::new(
            Get,
            "/rooms/{roomId}/messages",
            "messages",
            CLIENT,
            "A page of a room's timeline",
        )
        .client()
        .access(User)
        .path_param("roomId", ROOM_ID)
        .query::<room::messages::MessagesQuery>()
        .answer::<room::messages::MessagesPage>(s, 200, "The page")
        .errors(&[400, 403, 404]),
        Op::new(
            Get,
            "/rooms/{roomId}/state",
            "room_state",
            CLIENT,
            "The current state events",
        )
        .client()
        .access(User)
        .path_param("roomId", ROOM_ID)
        .answer_list::<ClientEvent>(s, 200, "The state events")
        .errors(&[400, 403, 404]),
        Op::new(
            Put,
            "/rooms/{roomId}/send/{eventType}/{txnId}",
            "send_event",
            CLIENT,
            "Send a message event (idempotent per transaction ID)",
        )
        .client()
        .access(User)
        .path_param("roomId", ROOM_ID)
        .path_param("eventType", "The event type, 1 to 255 bytes")
        .path_param("txnId", "The client's transaction ID, 1 to 255 bytes")
        .body::<EventContent>(s, false)
        .answer::<EventIdResponse>(s, 200, "The event's ID")
        .errors(&[403, 404]),
        Op::new(
            Get,
            "/user/{userId}/rooms/{roomId}/tags",
            "room_tags",
            CLIENT,
            "The caller's tags on a room",
        )
        .client()
        .access(User)
        .path_param("userId", "The caller's own user ID, percent-encoded")
        .path_param("roomId", ROOM_ID)
        .answer::<room::tags::Tags>(s, 200, "The tags")
        .errors(&[400, 403]),
        Op::new(
            Get,
            "/sync",
            "sync",
            CLIENT,
            "Synchronise: rooms, timelines and state since a token",
        )
        .client()
        .access(User)
        .query::<room::sync::SyncQuery>()
        .answer::<room::sync::SyncResponse>(s, 200, "What changed")
        .errors(&[400]),
        Op::new(
            Get,
            "/_synapse/admin/v1/register",
            "register_nonce",
            SYNAPSE,
            "A nonce for shared-secret registration",
        )
        .answer::<routes::register::NonceResponse>(s, 200, "The nonce")
        .errors(&[400]),
        Op::new(
            Post,
            "/_synapse/admin/v1/register",
            "register",
            SYNAPSE,
            "Register a user with an HMAC of the shared secret",
        )
        .body::<routes::register::RegisterBody>(s, true)
        .answer::<routes::register::RegisterResponse>(s, 200, "The new user")
        .errors(&[403]),
        Op::new(
            Post,
            "/_synapse/admin/v1/reset_password/{userId}",
            "synapse_reset_password",
            SYNAPSE,
            "Set a user's password (logs out by default)",
        )
        .access(Admin)
        .path_param("userId", USER_ID)
        .body::<routes::synapse_reset_password::ResetPasswordBody>(s, true)
        .answer::<Empty>(s, 200, "Password changed")
        .errors(&[404]),
        Op::new(
            Get,
            "/_synapse/admin/v1/whois/{userId}",
            "synapse_whois",
            SYNAPSE,
            "Devices and connections of a local user (self, or admin)",
        )
        .access(User)
        .path_param("userId", USER_ID)
        .answer::<routes::whois::WhoisResponse>(s, 200, "The user's devices")
        .errors(&[400, 403]),
        Op::new(
            Post,
            "/_synapse/admin/v1/send_server_notice",
            "send_server_notice",
            SYNAPSE,
            "Send a server notice to a local user",
        )
        .access(Admin)
        .body::<routes::send_server_notice::NoticeBody>(s, true)
        .answer::<EventIdResponse>(s, 200, "The notice's event ID")
        .errors(&[404]),
        Op::new(
            Put,
            "/_synapse/admin/v1/send_server_notice/{txnId}",
            "send_server_notice_txn",
            SYNAPSE,
            "Send a server notice, idempotent per transaction ID",
        )
        .access(Admin)
        .path_param("txnId", "The admin's transaction ID")
        .body::<routes::send_server_notice::NoticeBody>(s, true)
        .answer::<EventIdResponse>(s, 200, "The notice's event ID")
        .errors(&[404]),
        Op::new(
            Get,
            "/_synapse/admin/v1/server_version",
            "server_version",
            SYNAPSE,
            "This server's version",
        )
        .access(Admin)
        .answer::<routes::server_version::ServerVersion>(s, 200, "The version"),
        Op::new(
            Post,
            "/_dendrite/admin/resetPassword/{userID}",
            "dendrite_reset_password",
            DENDRITE,
            "Set a user's password (8 to 512 bytes)",
        )
        .access(Admin)
        .path_param(
            "userID",
            "A full user ID or a bare localpart, percent-encoded",
        )
        .body::<routes::dendrite_reset_password::ResetPasswordBody>(s, true)
        .answer::<routes::dendrite_reset_password::ResetPasswordResponse>(
            s,
            200,
            "Password changed",
        )
        .errors(&[404]),
        evacuate_room(Get, "evacuate_room_get", s),
        evacuate_room(Post, "evacuate_room", s),
        evacuate_user(Get, "evacuate_user_get", s),
        evacuate_user(Post, "evacuate_user", s),
        Op::new(
            Get,
            "/_dendrite/admin/jobs/{jobId}",
            "job_status",
            DENDRITE,
            "An evacuation job's record",
        )
        .access(Admin)
        .path_param("jobId", "The job ID an evacuation answered")
        .answer::<JobRecord>(s, 200, "The job")
        .errors(&[404]),
        Op::new(Get, super::PATH, "openapi", BAILIFF, "This document").answer::<Document>(
            s,
            200,
            "The OpenAPI document",
        ),
    ]
}

fn evacuate_room(method: HttpMethod, id: &'static str, s: &mut Schemas) -> Op {
    let is_post = matches!(method, HttpMethod::Post);
    let op = Op::new(
        method,
        "/_dendrite/admin/evacuateRoom/{roomID}",
        id,
        DENDRITE,
        "Make every local member leave a room, as a durable job",
    )
    .access(Access::Admin)
    .path_param("roomID", ROOM_ID)
    .query::<EvacuateQuery>();
    evacuation_answers(post_body(op, is_post, s), s).errors(&[404])
}

fn evacuate_user(method: HttpMethod, id: &'static str, s: &mut Schemas) -> Op {
    let is_post = matches!(method, HttpMethod::Post);
    let op = Op::new(
        method,
        "/_dendrite/admin/evacuateUser/{userID}",
        id,
        DENDRITE,
        "Make a local user leave every room and reject every invite, as a durable job",
    )
    .access(Access::Admin)
    .path_param("userID", USER_ID)
    .query::<EvacuateQuery>();
    evacuation_answers(post_body(op, is_post, s), s)
}

/// A `POST` evacuation takes an optional empty object; a `GET` ignores any body.
fn post_body(op: Op, is_post: bool, s: &mut Schemas) -> Op {
    if is_post {
        op.body::<Empty>(s, false)
    } else {
        op.errors(&[400])
    }
}

fn evacuation_answers(op: Op, s: &mut Schemas) -> Op {
    op.answer::<EvacuationDone>(s, 200, "The evacuation finished")
        .answer::<EvacuationStarted>(s, 202, "Started (`?async=true`)")
        .errors(&[500])
}

/// Any JSON object: an event's content.
#[derive(utoipa::ToSchema)]
#[schema(value_type = Object)]
#[allow(dead_code)]
struct EventContent(serde_json::Map<String, serde_json::Value>);

/// An OpenAPI document.
#[derive(utoipa::ToSchema)]
#[schema(value_type = Object)]
#[allow(dead_code)]
struct Document(serde_json::Map<String, serde_json::Value>);
