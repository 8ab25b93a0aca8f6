//! `PUT /_synapse/admin/v2/users/{userId}` (admin): create (`201`) or modify (`200`),
//! answering the user record. Checks in Synapse's order (`UserRestServletV2.on_PUT`,
//! `docs/http-api.md` §7): body is an object → local user → every threepid has `medium`
//! and `address`, every external ID `auth_provider` and `external_id` → `user_type` →
//! `admin` → `password` → `logout_devices` → `deactivated` → `locked` → not both
//! `deactivated` and `locked`. Unknown keys (the UIs send the whole form back) are
//! ignored. Whether the user exists is accounts-svc's call; a new localpart must pass
//! the registration grammar (`400 M_INVALID_USERNAME`). Deactivating here also
//! evacuates the user's rooms, as `POST /_synapse/admin/v1/deactivate` does.

use axum::Json;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use bailiff_proto::accounts::{ExternalId, GetUserRequest, PutUserRequest, Threepid};
use http::StatusCode;
use matrix_status::{MatrixError, errcode};
use serde::Deserialize;
use serde_json::Value;

use super::shapes::UserDetails;
use super::{accounts, evacuate, local_user};
use crate::auth::AdminUser;
use crate::error::{ApiError, ApiResult};
use crate::extract::{Field, JsonBody, PathParams, ids};
use crate::state::AppState;

/// Longest password accepted, as Synapse.
const MAX_PASSWORD: usize = 512;
/// The user types Synapse knows by default.
const USER_TYPES: &[&str] = &["bot", "support"];

/// The body; every key optional, each checked when its turn comes.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(expecting = "an object")]
pub struct PutUserBody {
    /// `""` removes the display name.
    #[schema(value_type = Option<String>)]
    #[serde(default)]
    pub displayname: Field<String>,
    #[schema(value_type = Option<String>)]
    #[serde(default)]
    pub avatar_url: Field<String>,
    /// `bot`, `support`, or `null` to clear.
    #[schema(value_type = Option<String>)]
    #[serde(default)]
    pub user_type: Field<String>,
    #[schema(value_type = Option<bool>)]
    #[serde(default)]
    pub admin: Field<bool>,
    /// Sets the password; reactivation needs one.
    #[schema(value_type = Option<String>)]
    #[serde(default)]
    pub password: Field<String>,
    /// With `password`: log every device out (default `true`).
    #[schema(value_type = Option<bool>)]
    #[serde(default)]
    pub logout_devices: Field<bool>,
    #[schema(value_type = Option<bool>)]
    #[serde(default)]
    pub deactivated: Field<bool>,
    #[schema(value_type = Option<bool>)]
    #[serde(default)]
    pub locked: Field<bool>,
    /// Replaces the whole set: `[{"medium", "address"}]`.
    #[schema(value_type = Option<Vec<Object>>)]
    #[serde(default)]
    pub threepids: Field<Vec<Value>>,
    /// Replaces the whole set: `[{"auth_provider", "external_id"}]`.
    #[schema(value_type = Option<Vec<Object>>)]
    #[serde(default)]
    pub external_ids: Field<Vec<Value>>,
}

fn unknown(message: &str) -> ApiError {
    MatrixError::bad_request(errcode::UNKNOWN, message).into()
}

/// Each item must be an object holding string `keys`; Synapse's
/// `assert_params_in_dict` text names the missing ones.
fn items(
    field: Field<Vec<Value>>,
    name: &str,
    keys: [&str; 2],
) -> ApiResult<Option<Vec<[String; 2]>>> {
    let Some(list) = field.optional(name)? else {
        return Ok(None);
    };
    let mut out = Vec::with_capacity(list.len());
    for item in list {
        let get = |key: &str| item.get(key).and_then(Value::as_str).map(str::to_owned);
        let missing: Vec<String> = keys
            .iter()
            .filter(|key| item.get(**key).is_none())
            .map(|key| format!("'{key}'"))
            .collect();
        if !missing.is_empty() {
            return Err(MatrixError::missing_param(format!(
                "Missing params: [{}]",
                missing.join(", ")
            ))
            .into());
        }
        match (get(keys[0]), get(keys[1])) {
            (Some(a), Some(b)) => out.push([a, b]),
            _ => {
                return Err(MatrixError::bad_json(format!(
                    "Parameters {} and {} must be strings",
                    keys[0], keys[1]
                ))
                .into());
            }
        }
    }
    Ok(Some(out))
}

/// A flag that must be a JSON boolean when present.
fn flag(field: &Field<bool>, text: &str) -> ApiResult<Option<bool>> {
    match field.raw() {
        None => Ok(None),
        Some(Value::Bool(value)) => Ok(Some(*value)),
        Some(_) => Err(MatrixError::bad_json(text).into()),
    }
}

/// Create or modify.
pub async fn put(
    State(state): State<AppState>,
    AdminUser(admin): AdminUser,
    params: PathParams,
    body: JsonBody,
) -> ApiResult<Response> {
    // Synapse parses the ID, then the body, then checks locality.
    params.user_id("userId")?;
    let body: PutUserBody = body.parse()?;
    let user_id = local_user(
        &state,
        &params,
        "This endpoint can only be used with local users",
    )?;
    let threepids = items(body.threepids, "threepids", ["medium", "address"])?;
    let external_ids = items(
        body.external_ids,
        "external_ids",
        ["auth_provider", "external_id"],
    )?;
    let set_user_type = body.user_type.is_present();
    let user_type = match body.user_type.raw() {
        None | Some(Value::Null) => None,
        Some(Value::String(t)) if USER_TYPES.contains(&t.as_str()) => Some(t.clone()),
        Some(_) => return Err(unknown("Invalid user type")),
    };
    let admin_flag = flag(&body.admin, "Param 'admin' must be a boolean, if given")?;
    let password = match body.password.raw() {
        None | Some(Value::Null) => None,
        Some(Value::String(p)) if p.len() <= MAX_PASSWORD => Some(p.clone()),
        Some(_) => return Err(MatrixError::invalid_param("Invalid password").into()),
    };
    let logout_devices = flag(
        &body.logout_devices,
        "'logout_devices' parameter is not of type boolean",
    )?
    .unwrap_or(true);
    let deactivated = flag(
        &body.deactivated,
        "'deactivated' parameter is not of type boolean",
    )?;
    let locked = flag(&body.locked, "'locked' parameter is not of type boolean")?;
    if deactivated == Some(true) && locked == Some(true) {
        return Err(unknown("An user can't be deactivated and locked"));
    }
    let displayname = match body.displayname.raw() {
        None | Some(Value::Null) => None,
        Some(Value::String(d)) => Some(d.clone()),
        Some(_) => {
            return Err(MatrixError::bad_json("Parameter displayname must be a string").into());
        }
    };
    let set_avatar_url = body.avatar_url.is_present();
    let avatar_url = match body.avatar_url.raw() {
        None | Some(Value::Null) => None,
        Some(Value::String(a)) => Some(a.clone()).filter(|a| !a.is_empty()),
        Some(_) => {
            return Err(MatrixError::bad_json("Parameter avatar_url must be a string").into());
        }
    };

    // A user that does not exist yet is registered: its localpart must be one a new
    // user may have.
    let exists = match accounts(&state)
        .get_user(GetUserRequest {
            user_id: user_id.to_string(),
        })
        .await
    {
        Ok(_) => true,
        Err(status) => {
            let error = ApiError::from(status);
            if error.matrix().errcode != errcode::NOT_FOUND {
                return Err(error);
            }
            false
        }
    };
    if !exists {
        ids::validate_new_localpart(user_id.localpart(), state.server_name())?;
    }

    let answer = accounts(&state)
        .put_user(PutUserRequest {
            user_id: user_id.to_string(),
            requester: admin.user_id.to_string(),
            displayname,
            set_avatar_url,
            avatar_url,
            set_user_type,
            user_type,
            admin: admin_flag,
            password,
            logout_devices,
            deactivated,
            locked,
            suspended: None,
            set_threepids: threepids.is_some(),
            threepids: threepids
                .unwrap_or_default()
                .into_iter()
                .map(|[medium, address]| Threepid {
                    medium,
                    address,
                    added_at: 0,
                    validated_at: 0,
                })
                .collect(),
            set_external_ids: external_ids.is_some(),
            external_ids: external_ids
                .unwrap_or_default()
                .into_iter()
                .map(|[auth_provider, external_id]| ExternalId {
                    auth_provider,
                    external_id,
                })
                .collect(),
        })
        .await?
        .into_inner();
    if answer.deactivated_now {
        evacuate(&state, &user_id).await?;
    }
    let Some(record) = answer.user else {
        tracing::error!(%user_id, "accounts-svc answered PutUser without the user");
        return Err(MatrixError::internal().into());
    };
    let status = if answer.created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((status, Json(UserDetails::from(record))).into_response())
}
