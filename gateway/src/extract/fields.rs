//! Typed access to the fields of a JSON request body, one field at a time, so each
//! endpoint controls the order of its checks.
//!
//! Conventions: a required field that is absent is `400 M_MISSING_PARAM`; a field of the
//! wrong type is `400 M_BAD_JSON`; an optional field that is `null` counts as absent.

use matrix_status::MatrixError;
use serde_json::{Map, Value};

/// A JSON object request body.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct JsonObject(pub Map<String, Value>);

fn missing(key: &str) -> MatrixError {
    MatrixError::missing_param(format!("Missing parameter: {key}"))
}

fn wrong_type(key: &str, expected: &str) -> MatrixError {
    MatrixError::bad_json(format!("Parameter {key} must be {expected}"))
}

impl JsonObject {
    /// The raw value, if present (even `null`).
    pub fn get(&self, key: &str) -> Option<&Value> {
        self.0.get(key)
    }

    /// Whether the key is present (even as `null`).
    pub fn contains(&self, key: &str) -> bool {
        self.0.contains_key(key)
    }

    /// A required string.
    pub fn required_str(&self, key: &str) -> Result<&str, MatrixError> {
        match self.0.get(key) {
            None => Err(missing(key)),
            Some(Value::String(s)) => Ok(s),
            Some(_) => Err(wrong_type(key, "a string")),
        }
    }

    /// An optional string; `null` counts as absent.
    pub fn optional_str(&self, key: &str) -> Result<Option<&str>, MatrixError> {
        match self.0.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => Ok(Some(s)),
            Some(_) => Err(wrong_type(key, "a string")),
        }
    }

    /// An optional boolean; `null` counts as absent.
    pub fn optional_bool(&self, key: &str) -> Result<Option<bool>, MatrixError> {
        match self.0.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Bool(b)) => Ok(Some(*b)),
            Some(_) => Err(wrong_type(key, "a boolean")),
        }
    }

    /// An optional boolean with a default when absent or `null`.
    pub fn bool_or(&self, key: &str, default: bool) -> Result<bool, MatrixError> {
        Ok(self.optional_bool(key)?.unwrap_or(default))
    }

    /// An optional JSON object; `null` counts as absent.
    pub fn optional_object(&self, key: &str) -> Result<Option<&Map<String, Value>>, MatrixError> {
        match self.0.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Object(map)) => Ok(Some(map)),
            Some(_) => Err(wrong_type(key, "an object")),
        }
    }

    /// An optional array of strings; `null` counts as absent.
    pub fn optional_str_array(&self, key: &str) -> Result<Option<Vec<&str>>, MatrixError> {
        match self.0.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Array(items)) => items
                .iter()
                .map(|item| {
                    item.as_str()
                        .ok_or_else(|| wrong_type(key, "a list of strings"))
                })
                .collect::<Result<Vec<_>, _>>()
                .map(Some),
            Some(_) => Err(wrong_type(key, "a list of strings")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn obj(value: Value) -> JsonObject {
        match value {
            Value::Object(map) => JsonObject(map),
            _ => JsonObject::default(),
        }
    }

    #[test]
    fn field_errors_have_the_pinned_codes() {
        let body = obj(serde_json::json!({"s": "x", "n": 1, "b": true, "z": null}));
        assert_eq!(body.required_str("s").ok(), Some("x"));
        assert_eq!(
            body.required_str("missing").map_err(|e| e.errcode),
            Err("M_MISSING_PARAM")
        );
        assert_eq!(
            body.required_str("n").map_err(|e| e.errcode),
            Err("M_BAD_JSON")
        );
        assert_eq!(body.optional_str("z").ok(), Some(None));
        assert_eq!(body.bool_or("b", false).ok(), Some(true));
        assert_eq!(body.bool_or("missing", true).ok(), Some(true));
        assert_eq!(
            body.optional_bool("s").map_err(|e| e.errcode),
            Err("M_BAD_JSON")
        );
    }
}
