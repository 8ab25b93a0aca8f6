//! The whole document: the core operations ([`operations_core`]) and those of each admin
//! area (one file per area, listed in [`AREAS`]), every one matching a route of
//! [`crate::routes::table`]; the tests check the two list the same operations.

use utoipa::openapi::path::Paths;
use utoipa::openapi::schema::ComponentsBuilder;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, Http, HttpAuthScheme, SecurityScheme};
use utoipa::openapi::tag::TagBuilder;
use utoipa::openapi::{InfoBuilder, OpenApi, OpenApiBuilder};

use super::builder::{BEARER, MATRIX_ERROR, Op, QUERY_TOKEN, Schemas, matrix_error_schema};
use super::operations_core;
use crate::routes::CLIENT_PREFIXES;

pub(super) const CLIENT: &str = "client";
pub(super) const SYNAPSE: &str = "synapse-admin";
pub(super) const DENDRITE: &str = "dendrite-admin";
pub(super) const BAILIFF: &str = "bailiff";

pub(super) const USER_ID: &str = "A full user ID (`@localpart:server`), percent-encoded";
pub(super) const ROOM_ID: &str = "A room ID (`!opaque:server`), percent-encoded";

/// The operations of each admin area, after the core ones.
const AREAS: &[fn(&mut Schemas) -> Vec<Op>] = &[
    super::users_admin::operations,
    super::rooms_admin::operations,
    super::room_deletion::operations,
    super::ui_compat::operations,
    super::moderation::operations,
];

/// The whole document.
pub fn document() -> OpenApi {
    let mut schemas = Schemas::new();
    let mut paths = Paths::new();
    let mut ops = operations_core::operations(&mut schemas);
    for area in AREAS {
        ops.extend(area(&mut schemas));
    }
    for op in ops {
        if op.client {
            for prefix in CLIENT_PREFIXES {
                let version = prefix.rsplit('/').next();
                let path = format!("{prefix}{}", op.path);
                paths.add_path_operation(path, vec![op.method.clone()], op.build(version));
            }
        } else {
            paths.add_path_operation(op.path, vec![op.method.clone()], op.build(None));
        }
    }
    schemas.insert(MATRIX_ERROR.to_owned(), matrix_error_schema().into());
    let components = ComponentsBuilder::new()
        .schemas_from_iter(schemas)
        .security_scheme(
            BEARER,
            SecurityScheme::Http(Http::new(HttpAuthScheme::Bearer)),
        )
        .security_scheme(
            QUERY_TOKEN,
            SecurityScheme::ApiKey(ApiKey::Query(ApiKeyValue::new("access_token"))),
        )
        .build();
    OpenApiBuilder::new()
        .info(
            InfoBuilder::new()
                .title("bailiff")
                .version(env!("CARGO_PKG_VERSION"))
                .description(Some(
                    "The HTTP API of bailiff, a Matrix homeserver admin plane: the Synapse and Dendrite admin endpoints it serves and the client-server endpoints clients need. Every error is a Matrix error (`MatrixError`); see `docs/http-api.md`.",
                ))
                .build(),
        )
        .paths(paths)
        .components(Some(components))
        .tags(Some([CLIENT, SYNAPSE, DENDRITE, BAILIFF].map(|name| TagBuilder::new().name(name).build())))
        .build()
}
