//! The one adapter from serde's errors to Matrix errors, for request bodies and query
//! strings (`docs/http-api.md` §1, "Fields"):
//!
//! - a required field that is absent is `400 M_MISSING_PARAM "Missing parameter: <name>"`;
//! - a body field of the wrong type is `400 M_BAD_JSON "Parameter <name> must be …"`;
//! - a bad query parameter is `400 M_INVALID_PARAM "Query parameter <name> …"`;
//! - an optional field given as `null` counts as absent (serde's `Option` does this);
//! - unknown keys are ignored (no `deny_unknown_fields` anywhere).
//!
//! Whether a body is JSON at all and an object is decided before, by
//! [`super::body::parse_object`].

use std::marker::PhantomData;

use matrix_status::MatrixError;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer};
use serde_json::{Map, Value};

/// Where the value being decoded came from; it decides the errcode of a bad value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Source {
    Body,
    Query,
}

/// Decodes a body object (or a field of one) into `T`. `prefix` names the field the
/// value came from, for error texts.
fn decode<T: DeserializeOwned>(
    value: Value,
    prefix: Option<&str>,
    source: Source,
) -> Result<T, MatrixError> {
    serde_path_to_error::deserialize(value).map_err(|error| {
        let path = error.path().to_string();
        let path = match (prefix, path.as_str()) {
            (Some(prefix), ".") => prefix.to_owned(),
            (Some(prefix), path) => format!("{prefix}.{path}"),
            (None, path) => path.to_owned(),
        };
        to_matrix(&path, &error.into_inner().to_string(), source)
    })
}

/// Maps one serde error message (`serde_json` from a `Value` carries no position) to our
/// errcodes. serde words its two errors we care about in a fixed way: ``missing field `x` ``
/// and `invalid type: …, expected …`.
fn to_matrix(path: &str, message: &str, source: Source) -> MatrixError {
    if let Some(name) = message
        .strip_prefix("missing field `")
        .and_then(|rest| rest.split('`').next())
    {
        return MatrixError::missing_param(format!("Missing parameter: {name}"));
    }
    match source {
        Source::Body => match message.split_once(", expected ") {
            Some((kind, expected)) if kind.starts_with("invalid type: ") => {
                let expected = match expected {
                    "a sequence" => "a list",
                    "a map" => "an object",
                    other => other,
                };
                MatrixError::bad_json(format!("Parameter {path} must be {expected}"))
            }
            _ => MatrixError::bad_json(format!("Invalid parameter {path}: {message}")),
        },
        Source::Query if message.starts_with("must be") => {
            MatrixError::invalid_param(format!("Query parameter {path} {message}"))
        }
        Source::Query => {
            MatrixError::invalid_param(format!("Query parameter {path} is invalid: {message}"))
        }
    }
}

/// Decodes a whole body object into its typed struct.
pub fn body<T: DeserializeOwned>(object: Map<String, Value>) -> Result<T, MatrixError> {
    decode(Value::Object(object), None, Source::Body)
}

/// Decodes a query string into its typed struct. The first value of a repeated key wins
/// (as axum's and Synapse's parsers do), every value is a string, and the typed struct
/// reads numbers and booleans with [`QueryInt`] and [`QueryBool`].
pub fn query<T: DeserializeOwned>(raw: Option<&str>) -> Result<T, MatrixError> {
    let mut object = Map::new();
    for (key, value) in url::form_urlencoded::parse(raw.unwrap_or_default().as_bytes()) {
        object
            .entry(key.into_owned())
            .or_insert_with(|| Value::String(value.into_owned()));
    }
    decode(Value::Object(object), None, Source::Query)
}

/// A body field decoded when the handler asks, so the endpoint's pinned check order holds
/// even where a later field is malformed. Absent, `null` and present are told apart;
/// anything JSON is accepted when the body is decoded.
#[derive(Debug, Clone, PartialEq)]
pub struct Field<T> {
    value: Option<Value>,
    kind: PhantomData<fn() -> T>,
}

impl<T> Default for Field<T> {
    fn default() -> Self {
        Self {
            value: None,
            kind: PhantomData,
        }
    }
}

impl<'de, T> Deserialize<'de> for Field<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Value::deserialize(deserializer).map(|value| Self {
            value: Some(value),
            kind: PhantomData,
        })
    }
}

impl<T: DeserializeOwned> Field<T> {
    /// Whether the key was sent (even as `null`).
    pub fn is_present(&self) -> bool {
        self.value.is_some()
    }

    /// The value as sent, if any (even `null`).
    pub fn raw(&self) -> Option<&Value> {
        self.value.as_ref()
    }

    /// A required field: absent is `M_MISSING_PARAM`; `null` or a wrong type `M_BAD_JSON`.
    pub fn required(self, name: &str) -> Result<T, MatrixError> {
        match self.value {
            None => Err(MatrixError::missing_param(format!(
                "Missing parameter: {name}"
            ))),
            Some(value) => decode(value, Some(name), Source::Body),
        }
    }

    /// An optional field: absent or `null` is `None`; a wrong type is `M_BAD_JSON`.
    pub fn optional(self, name: &str) -> Result<Option<T>, MatrixError> {
        match self.value {
            None | Some(Value::Null) => Ok(None),
            Some(value) => decode(value, Some(name), Source::Body).map(Some),
        }
    }

    /// A field whose absence is `None` but whose `null` is as wrong as any other type.
    pub fn unless_absent(self, name: &str) -> Result<Option<T>, MatrixError> {
        match self.value {
            None => Ok(None),
            Some(value) => decode(value, Some(name), Source::Body).map(Some),
        }
    }

    /// The typed value when it decodes; `None` for absent, `null` or undecodable, for
    /// fields whose refusal an endpoint words its own way.
    pub fn lenient(self) -> Option<T> {
        self.value
            .and_then(|value| serde_json::from_value(value).ok())
    }
}

/// A query parameter that must be a non-negative integer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QueryInt(pub u64);

impl<'de> Deserialize<'de> for QueryInt {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.parse()
            .map(Self)
            .map_err(|_| serde::de::Error::custom("must be an integer"))
    }
}

/// A query parameter that must be `true` or `false`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QueryBool(pub bool);

impl<'de> Deserialize<'de> for QueryBool {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        match String::deserialize(deserializer)?.as_str() {
            "true" => Ok(Self(true)),
            "false" => Ok(Self(false)),
            _ => Err(serde::de::Error::custom("must be true or false")),
        }
    }
}

#[cfg(test)]
mod tests;
