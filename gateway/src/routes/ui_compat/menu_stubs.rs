//! Stubs for the menu pages of data bailiff does not keep (`shared/SYNAPSE-ADMIN.md`
//! §4.3, §6): federation destinations, media statistics, reports, scheduled tasks and
//! registration tokens. Each answers the empty list in Synapse's shape, so the page shows
//! "no results" instead of an error. Admin only; query parameters are ignored.

use axum::Json;
use serde::Serialize;
use serde_json::Value;

use crate::auth::AdminUser;

/// `{"destinations": [], "total": 0}`.
#[derive(Debug, Default, Serialize, utoipa::ToSchema)]
pub struct Destinations {
    /// Always empty: bailiff does not federate.
    #[schema(value_type = Vec<Object>)]
    pub destinations: Vec<Value>,
    pub total: u64,
}

/// `{"users": [], "total": 0}`.
#[derive(Debug, Default, Serialize, utoipa::ToSchema)]
pub struct UserMediaStatistics {
    /// Always empty: bailiff stores no media.
    #[schema(value_type = Vec<Object>)]
    pub users: Vec<Value>,
    pub total: u64,
}

/// `{"rooms": []}`.
#[derive(Debug, Default, Serialize, utoipa::ToSchema)]
pub struct DatabaseRoomStatistics {
    /// Always empty: no per-room database sizes are measured.
    #[schema(value_type = Vec<Object>)]
    pub rooms: Vec<Value>,
}

/// `{"user_reports": [], "total": 0}`.
#[derive(Debug, Default, Serialize, utoipa::ToSchema)]
pub struct UserReports {
    /// Always empty: bailiff takes no reports.
    #[schema(value_type = Vec<Object>)]
    pub user_reports: Vec<Value>,
    pub total: u64,
}

/// `{"event_reports": [], "total": 0}`.
#[derive(Debug, Default, Serialize, utoipa::ToSchema)]
pub struct EventReports {
    /// Always empty: bailiff takes no reports.
    #[schema(value_type = Vec<Object>)]
    pub event_reports: Vec<Value>,
    pub total: u64,
}

/// `{"scheduled_tasks": []}`.
#[derive(Debug, Default, Serialize, utoipa::ToSchema)]
pub struct ScheduledTasks {
    /// Always empty: evacuation jobs are listed under `/_dendrite/admin/jobs`.
    #[schema(value_type = Vec<Object>)]
    pub scheduled_tasks: Vec<Value>,
}

/// `{"registration_tokens": []}`.
#[derive(Debug, Default, Serialize, utoipa::ToSchema)]
pub struct RegistrationTokens {
    /// Always empty: registration is by shared secret only.
    #[schema(value_type = Vec<Object>)]
    pub registration_tokens: Vec<Value>,
}

/// `GET /_synapse/admin/v1/federation/destinations`.
pub async fn destinations(_admin: AdminUser) -> Json<Destinations> {
    Json(Destinations::default())
}

/// `GET /_synapse/admin/v1/statistics/users/media`.
pub async fn user_media_statistics(_admin: AdminUser) -> Json<UserMediaStatistics> {
    Json(UserMediaStatistics::default())
}

/// `GET /_synapse/admin/v1/statistics/database/rooms`.
pub async fn database_room_statistics(_admin: AdminUser) -> Json<DatabaseRoomStatistics> {
    Json(DatabaseRoomStatistics::default())
}

/// `GET /_synapse/admin/v1/user_reports`.
pub async fn user_reports(_admin: AdminUser) -> Json<UserReports> {
    Json(UserReports::default())
}

/// `GET /_synapse/admin/v1/event_reports`.
pub async fn event_reports(_admin: AdminUser) -> Json<EventReports> {
    Json(EventReports::default())
}

/// `GET /_synapse/admin/v1/scheduled_tasks`.
pub async fn scheduled_tasks(_admin: AdminUser) -> Json<ScheduledTasks> {
    Json(ScheduledTasks::default())
}

/// `GET /_synapse/admin/v1/registration_tokens`.
pub async fn registration_tokens(_admin: AdminUser) -> Json<RegistrationTokens> {
    Json(RegistrationTokens::default())
}
