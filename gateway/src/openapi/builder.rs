//! Small builders over utoipa's: one operation at a time, with the Matrix error answers,
//! the security requirement and the schemas of its typed bodies collected on the way.

use std::collections::BTreeMap;

use utoipa::openapi::path::{
    HttpMethod, Operation, OperationBuilder, Parameter, ParameterBuilder, ParameterIn,
};
use utoipa::openapi::request_body::RequestBodyBuilder;
use utoipa::openapi::response::ResponseBuilder;
use utoipa::openapi::schema::{ArrayBuilder, ObjectBuilder, Schema, Type};
use utoipa::openapi::security::SecurityRequirement;
use utoipa::openapi::{ContentBuilder, Ref, RefOr, Required};
use utoipa::{IntoParams, ToSchema};

/// The name of the one shared error schema.
pub const MATRIX_ERROR: &str = "MatrixError";

/// The security schemes: the `Authorization: Bearer` header, or the deprecated
/// `access_token` query parameter.
pub const BEARER: &str = "bearer";
/// See [`BEARER`].
pub const QUERY_TOKEN: &str = "access_token_query";

const JSON: &str = "application/json";

/// Who may call an operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// No token.
    Public,
    /// Any valid token.
    User,
    /// A server admin's token.
    Admin,
}

/// The schemas collected from the typed bodies, by component name.
pub type Schemas = BTreeMap<String, RefOr<Schema>>;

/// `$ref` to a component schema, registering it (and what it refers to).
fn component<T: ToSchema>(schemas: &mut Schemas) -> RefOr<Schema> {
    let mut found = Vec::new();
    T::schemas(&mut found);
    schemas.extend(found);
    let name = T::name().into_owned();
    schemas.insert(name.clone(), T::schema());
    RefOr::Ref(Ref::from_schema_name(name))
}

/// The one error schema: `errcode` and `error`, optional `soft_logout` and
/// `retry_after_ms`, other keys allowed.
pub fn matrix_error_schema() -> Schema {
    ObjectBuilder::new()
        .description(Some("A Matrix error (see `docs/http-api.md`)."))
        .property("errcode", ObjectBuilder::new().schema_type(Type::String))
        .required("errcode")
        .property("error", ObjectBuilder::new().schema_type(Type::String))
        .required("error")
        .property(
            "soft_logout",
            ObjectBuilder::new().schema_type(Type::Boolean),
        )
        .property(
            "retry_after_ms",
            ObjectBuilder::new().schema_type(Type::Integer),
        )
        .into()
}

fn error_description(status: u16) -> &'static str {
    match status {
        400 => {
            "Malformed request: body, parameter or identifier (`M_NOT_JSON`, `M_BAD_JSON`, `M_MISSING_PARAM`, `M_INVALID_PARAM`, …)"
        }
        401 => "No token, or an unknown one (`M_MISSING_TOKEN`, `M_UNKNOWN_TOKEN`)",
        403 => "Not allowed (`M_FORBIDDEN`)",
        404 => "Not found (`M_NOT_FOUND`)",
        413 => "Body over 64 KiB (`M_TOO_LARGE`)",
        429 => "Rate limited (`M_LIMIT_EXCEEDED`)",
        500 => "Internal error (`M_UNKNOWN`)",
        503 => "A service is unavailable",
        _ => "Error",
    }
}

/// One operation being described.
pub struct Op {
    pub method: HttpMethod,
    /// Full path, or for a client operation the part after the version prefix.
    pub path: &'static str,
    pub client: bool,
    id: &'static str,
    tag: &'static str,
    summary: &'static str,
    access: Access,
    params: Vec<Parameter>,
    body: Option<(RefOr<Schema>, bool)>,
    answers: Vec<(u16, &'static str, Option<RefOr<Schema>>)>,
    errors: Vec<u16>,
}

impl Op {
    /// An operation with no parameters, body or answers yet.
    pub fn new(
        method: HttpMethod,
        path: &'static str,
        id: &'static str,
        tag: &'static str,
        summary: &'static str,
    ) -> Self {
        Self {
            method,
            path,
            client: false,
            id,
            tag,
            summary,
            access: Access::Public,
            params: Vec::new(),
            body: None,
            answers: Vec::new(),
            errors: Vec::new(),
        }
    }

    /// Served under both client-server version prefixes.
    pub fn client(mut self) -> Self {
        self.client = true;
        self
    }

    /// Needs a token (`401`); an admin's for [`Access::Admin`] (`403` otherwise).
    pub fn access(mut self, access: Access) -> Self {
        self.access = access;
        match access {
            Access::Public => {}
            Access::User => self.errors.push(401),
            Access::Admin => self.errors.extend([401, 403]),
        }
        self
    }

    /// A path parameter: a string, percent-decoded strictly by the server, so no pattern
    /// is promised (a malformed one is answered `400`).
    pub fn path_param(mut self, name: &str, description: &str) -> Self {
        self.params.push(
            ParameterBuilder::new()
                .name(name)
                .parameter_in(ParameterIn::Path)
                .required(Required::True)
                .description(Some(description))
                .schema(Some(ObjectBuilder::new().schema_type(Type::String)))
                .build(),
        );
        self
    }

    /// The query parameters of a typed query struct.
    pub fn query<Q: IntoParams>(mut self) -> Self {
        self.params
            .extend(Q::into_params(|| Some(ParameterIn::Query)));
        self
    }

    /// A JSON body decoded into `T`; `required` when an empty body is refused.
    pub fn body<T: ToSchema>(mut self, schemas: &mut Schemas, required: bool) -> Self {
        self.body = Some((component::<T>(schemas), required));
        self.errors.extend([400, 413]);
        self
    }

    /// A success answer of type `T`.
    pub fn answer<T: ToSchema>(
        mut self,
        schemas: &mut Schemas,
        status: u16,
        description: &'static str,
    ) -> Self {
        let schema = component::<T>(schemas);
        self.answers.push((status, description, Some(schema)));
        self
    }

    /// A success answer that is a JSON array of `T`.
    pub fn answer_list<T: ToSchema>(
        mut self,
        schemas: &mut Schemas,
        status: u16,
        description: &'static str,
    ) -> Self {
        let item = component::<T>(schemas);
        let schema = RefOr::T(ArrayBuilder::new().items(item).into());
        self.answers.push((status, description, Some(schema)));
        self
    }

    /// Error statuses this operation answers besides those its access and body imply.
    pub fn errors(mut self, statuses: &[u16]) -> Self {
        self.errors.extend_from_slice(statuses);
        self
    }

    /// The operation for one of its full paths; `version` tells client copies apart.
    pub fn build(&self, version: Option<&str>) -> Operation {
        let id = match version {
            Some(version) => format!("{}_{version}", self.id),
            None => self.id.to_owned(),
        };
        let mut operation = OperationBuilder::new()
            .operation_id(Some(id))
            .tag(self.tag)
            .summary(Some(self.summary))
            .parameters(Some(self.params.clone()));
        if let Some((schema, required)) = &self.body {
            let required = if *required {
                Required::True
            } else {
                Required::False
            };
            operation = operation.request_body(Some(
                RequestBodyBuilder::new()
                    .required(Some(required))
                    .content(
                        JSON,
                        ContentBuilder::new().schema(Some(schema.clone())).build(),
                    )
                    .build(),
            ));
        }
        for (status, description, schema) in &self.answers {
            let mut response = ResponseBuilder::new().description(*description);
            if let Some(schema) = schema {
                response = response.content(
                    JSON,
                    ContentBuilder::new().schema(Some(schema.clone())).build(),
                );
            }
            operation = operation.response(status.to_string(), response.build());
        }
        let mut errors = self.errors.clone();
        errors.sort_unstable();
        errors.dedup();
        for status in errors {
            operation = operation.response(
                status.to_string(),
                error_response(error_description(status)),
            );
        }
        operation = operation.response("default", error_response("Any other error"));
        if self.access != Access::Public {
            operation = operation
                .security(SecurityRequirement::new(BEARER, Vec::<String>::new()))
                .security(SecurityRequirement::new(QUERY_TOKEN, Vec::<String>::new()));
        }
        operation.build()
    }
}

fn error_response(description: &str) -> utoipa::openapi::Response {
    ResponseBuilder::new()
        .description(description)
        .content(
            JSON,
            ContentBuilder::new()
                .schema(Some(RefOr::Ref(Ref::from_schema_name(MATRIX_ERROR))))
                .build(),
        )
        .build()
}
