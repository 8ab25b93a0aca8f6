//! The operations of account moderation (`routes::moderation`): the spec's lock and
//! suspend endpoints under `v1` and MSC4323's unstable prefix, Synapse's suspend, and the
//! capabilities.

use utoipa::openapi::path::HttpMethod::{Get, Put};

use super::builder::Access::{Admin, User};
use super::builder::{Op, Schemas};
use super::operations::{CLIENT, SYNAPSE, USER_ID};
use crate::routes::moderation::{capabilities, lock, suspend, synapse_suspend};

const LOCAL_USER_ID: &str = "A local user ID (`@localpart:server`), percent-encoded";

/// The four operations of one prefix; `ids` are (get suspend, put suspend, get lock, put
/// lock), unique per prefix.
fn spec_operations(s: &mut Schemas, paths: [&'static str; 2], ids: [&'static str; 4]) -> Vec<Op> {
    let [suspend_path, lock_path] = paths;
    let [get_suspend, put_suspend, get_lock, put_lock] = ids;
    vec![
        Op::new(
            Get,
            suspend_path,
            get_suspend,
            CLIENT,
            "Whether a local user is suspended (admin; another admin is 403)",
        )
        .access(Admin)
        .path_param("userId", LOCAL_USER_ID)
        .answer::<suspend::Suspension>(s, 200, "The state")
        .errors(&[400, 404]),
        Op::new(
            Put,
            suspend_path,
            put_suspend,
            CLIENT,
            "Suspend a local user or lift the suspension (admin; self or another admin is 403)",
        )
        .access(Admin)
        .path_param("userId", LOCAL_USER_ID)
        .body::<suspend::SuspensionBody>(s, true)
        .answer::<suspend::Suspension>(s, 200, "The new state")
        .errors(&[404]),
        Op::new(
            Get,
            lock_path,
            get_lock,
            CLIENT,
            "Whether a local user is locked (admin; another admin is 403)",
        )
        .access(Admin)
        .path_param("userId", LOCAL_USER_ID)
        .answer::<lock::Lock>(s, 200, "The state")
        .errors(&[400, 404]),
        Op::new(
            Put,
            lock_path,
            put_lock,
            CLIENT,
            "Lock or unlock a local user (admin; self or another admin is 403)",
        )
        .access(Admin)
        .path_param("userId", LOCAL_USER_ID)
        .body::<lock::LockBody>(s, true)
        .answer::<lock::Lock>(s, 200, "The new state")
        .errors(&[404]),
    ]
}

/// Every operation of the area, in the area's route order.
pub(super) fn operations(s: &mut Schemas) -> Vec<Op> {
    let mut ops = spec_operations(
        s,
        [
            "/_matrix/client/v1/admin/suspend/{userId}",
            "/_matrix/client/v1/admin/lock/{userId}",
        ],
        [
            "get_suspended_v1",
            "set_suspended_v1",
            "get_locked_v1",
            "set_locked_v1",
        ],
    );
    ops.extend(spec_operations(
        s,
        [
            "/_matrix/client/unstable/uk.timedout.msc4323/admin/suspend/{userId}",
            "/_matrix/client/unstable/uk.timedout.msc4323/admin/lock/{userId}",
        ],
        [
            "get_suspended_msc4323",
            "set_suspended_msc4323",
            "get_locked_msc4323",
            "set_locked_msc4323",
        ],
    ));
    ops.extend([
        Op::new(
            Put,
            "/_synapse/admin/v1/suspend/{userId}",
            "synapse_suspend_user",
            SYNAPSE,
            "Suspend a local user or lift the suspension (Synapse's form)",
        )
        .access(Admin)
        .path_param("userId", USER_ID)
        .body::<synapse_suspend::SuspendBody>(s, true)
        .answer::<synapse_suspend::SuspendAnswer>(s, 200, "`{\"user_<userId>_suspended\": bool}`")
        .errors(&[404]),
        Op::new(
            Get,
            "/capabilities",
            "get_capabilities",
            CLIENT,
            "What the caller may do here (account moderation for admins only)",
        )
        .client()
        .access(User)
        .answer::<capabilities::CapabilitiesResponse>(s, 200, "The capabilities"),
    ]);
    ops
}
