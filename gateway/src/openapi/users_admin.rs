//! The operations of Synapse users administration (`routes::users_admin`).

use utoipa::openapi::path::HttpMethod::{self, Delete, Get, Post, Put};

use super::builder::Access::{Admin, Public};
use super::builder::{Op, Schemas};
use super::operations::{CLIENT, SYNAPSE, USER_ID};
use crate::routes::Empty;
use crate::routes::users_admin::{
    admin_flag, deactivate, delete_devices, device, devices, list, profile, put_user, shapes,
    username_available,
};

const DEVICE_ID: &str = "A device ID, raw or percent-encoded";

/// An admin-only Synapse operation on the user named in the path.
fn admin_user_op(
    method: HttpMethod,
    path: &'static str,
    id: &'static str,
    summary: &'static str,
) -> Op {
    Op::new(method, path, id, SYNAPSE, summary)
        .access(Admin)
        .path_param("userId", USER_ID)
}

/// Every operation of the area, in the area's route order.
pub(super) fn operations(s: &mut Schemas) -> Vec<Op> {
    vec![
        Op::new(
            Get,
            "/_synapse/admin/v2/users",
            "synapse_list_users_v2",
            SYNAPSE,
            "List users (v2: deactivated users hidden unless deactivated=true)",
        )
        .access(Admin)
        .query::<list::UsersQuery>()
        .answer::<list::UsersPage>(s, 200, "One page of users")
        .errors(&[400]),
        Op::new(
            Get,
            "/_synapse/admin/v3/users",
            "synapse_list_users_v3",
            SYNAPSE,
            "List users (v3: deactivated=true only them, false none, absent all)",
        )
        .access(Admin)
        .query::<list::UsersQuery>()
        .answer::<list::UsersPage>(s, 200, "One page of users")
        .errors(&[400]),
        admin_user_op(
            Get,
            "/_synapse/admin/v2/users/{userId}",
            "synapse_get_user",
            "One user (creation_ts in seconds)",
        )
        .answer::<shapes::UserDetails>(s, 200, "The user")
        .errors(&[400, 404]),
        admin_user_op(
            Put,
            "/_synapse/admin/v2/users/{userId}",
            "synapse_put_user",
            "Create (201) or modify (200) a user",
        )
        .body::<put_user::PutUserBody>(s, false)
        .answer::<shapes::UserDetails>(s, 200, "Modified")
        .answer::<shapes::UserDetails>(s, 201, "Created")
        .errors(&[409]),
        admin_user_op(
            Post,
            "/_synapse/admin/v1/deactivate/{userId}",
            "synapse_deactivate_user",
            "Deactivate a user: tokens, devices, password, rooms; erase clears the profile",
        )
        .body::<deactivate::DeactivateBody>(s, false)
        .answer::<deactivate::DeactivateResponse>(s, 200, "Deactivated")
        .errors(&[404]),
        admin_user_op(
            Get,
            "/_synapse/admin/v1/users/{userId}/admin",
            "synapse_get_admin",
            "Whether a user is a server admin",
        )
        .answer::<admin_flag::AdminFlag>(s, 200, "The flag")
        .errors(&[400]),
        admin_user_op(
            Put,
            "/_synapse/admin/v1/users/{userId}/admin",
            "synapse_set_admin",
            "Promote or demote a user",
        )
        .body::<admin_flag::AdminFlagBody>(s, true)
        .answer::<Empty>(s, 200, "Done"),
        admin_user_op(
            Get,
            "/_synapse/admin/v2/users/{userId}/devices",
            "synapse_list_devices",
            "A user's devices with where each was last seen",
        )
        .answer::<devices::DeviceList>(s, 200, "The devices")
        .errors(&[400, 404]),
        admin_user_op(
            Post,
            "/_synapse/admin/v2/users/{userId}/devices",
            "synapse_create_device",
            "Create a device without a token",
        )
        .body::<devices::NewDeviceBody>(s, true)
        .answer::<Empty>(s, 201, "Created")
        .errors(&[404]),
        admin_user_op(
            Get,
            "/_synapse/admin/v2/users/{userId}/devices/{deviceId}",
            "synapse_get_device",
            "One device",
        )
        .path_param("deviceId", DEVICE_ID)
        .answer::<devices::AdminDevice>(s, 200, "The device")
        .errors(&[400, 404]),
        admin_user_op(
            Put,
            "/_synapse/admin/v2/users/{userId}/devices/{deviceId}",
            "synapse_rename_device",
            "Rename a device",
        )
        .path_param("deviceId", DEVICE_ID)
        .body::<device::RenameDeviceBody>(s, false)
        .answer::<Empty>(s, 200, "Renamed")
        .errors(&[404]),
        admin_user_op(
            Delete,
            "/_synapse/admin/v2/users/{userId}/devices/{deviceId}",
            "synapse_delete_device",
            "Delete a device and its tokens (an unknown device is not an error)",
        )
        .path_param("deviceId", DEVICE_ID)
        .answer::<Empty>(s, 200, "Deleted")
        .errors(&[400, 404]),
        admin_user_op(
            Post,
            "/_synapse/admin/v2/users/{userId}/delete_devices",
            "synapse_delete_devices",
            "Delete several devices and their tokens",
        )
        .body::<delete_devices::DeleteDevicesBody>(s, true)
        .answer::<Empty>(s, 200, "Deleted")
        .errors(&[404]),
        Op::new(
            Get,
            "/_synapse/admin/v1/username_available",
            "synapse_username_available",
            SYNAPSE,
            "Whether a localpart can be registered (taken or invalid is a 400)",
        )
        .access(Admin)
        .query::<username_available::UsernameQuery>()
        .answer::<username_available::Availability>(s, 200, "Available")
        .errors(&[400]),
        Op::new(
            Get,
            "/profile/{userId}",
            "get_profile",
            CLIENT,
            "A local user's display name and avatar",
        )
        .client()
        .access(Public)
        .path_param("userId", USER_ID)
        .answer::<profile::Profile>(s, 200, "The profile")
        .errors(&[400, 404]),
    ]
}
