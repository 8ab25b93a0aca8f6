//! `GET /_matrix/client/versions`.

use std::collections::BTreeMap;

use axum::Json;
use serde::Serialize;

/// Spec versions this server speaks.
pub const VERSIONS: &[&str] = &[
    "r0.5.0", "r0.6.0", "r0.6.1", "v1.1", "v1.2", "v1.3", "v1.4", "v1.5", "v1.6", "v1.7", "v1.8",
    "v1.9", "v1.10", "v1.11",
];

/// MSC4323's unstable feature flag: the moderation endpoints also answer under
/// `/_matrix/client/unstable/uk.timedout.msc4323` (`routes::moderation`).
pub const UNSTABLE_MODERATION: &str = "uk.timedout.msc4323";

/// The answer. Fields are in key order, as the untyped answer was rendered.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Versions {
    /// MSC4323 (account moderation), which clients check before using its unstable
    /// prefix.
    pub unstable_features: BTreeMap<String, bool>,
    #[schema(value_type = Vec<String>)]
    pub versions: &'static [&'static str],
}

/// The versions.
pub async fn get() -> Json<Versions> {
    Json(Versions {
        unstable_features: BTreeMap::from([(UNSTABLE_MODERATION.to_owned(), true)]),
        versions: VERSIONS,
    })
}
