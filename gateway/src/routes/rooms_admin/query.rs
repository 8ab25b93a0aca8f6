//! Query checks worded as Synapse words them (`synapse/http/servlet.py`, quoted in
//! `docs/http-api.md` §7): the shared `typed` adapter has its own texts, and the admin
//! UIs show Synapse's. Query structs of this area hold strings; these helpers read them.

use matrix_status::MatrixError;

/// The largest page any list of this area answers (`docs/http-api.md` §7).
pub const MAX_LIMIT: i64 = 10_000;

/// A non-negative integer parameter; absent is `default`.
pub fn non_negative(name: &str, value: Option<&str>, default: i64) -> Result<i64, MatrixError> {
    let Some(text) = value else {
        return Ok(default);
    };
    let number: i64 = text.trim().parse().map_err(|_| {
        MatrixError::invalid_param(format!("Query parameter {name} must be an integer"))
    })?;
    if number < 0 {
        return Err(MatrixError::invalid_param(format!(
            "Query parameter {name} must be a positive integer."
        )));
    }
    Ok(number)
}

/// `limit`: as [`non_negative`], capped at [`MAX_LIMIT`].
pub fn limit(value: Option<&str>, default: i64) -> Result<i64, MatrixError> {
    non_negative("limit", value, default).map(|limit| limit.min(MAX_LIMIT))
}

/// A boolean parameter: exactly `true` or `false`; absent is `None`.
pub fn boolean(name: &str, value: Option<&str>) -> Result<Option<bool>, MatrixError> {
    match value {
        None => Ok(None),
        Some("true") => Ok(Some(true)),
        Some("false") => Ok(Some(false)),
        Some(_) => Err(MatrixError::invalid_param(format!(
            "Boolean query parameter '{name}' must be one of ['true', 'false']"
        ))),
    }
}

/// A parameter restricted to `allowed`; absent is `None`.
pub fn one_of<'a>(
    name: &str,
    value: Option<&'a str>,
    allowed: &[&str],
) -> Result<Option<&'a str>, MatrixError> {
    match value {
        None => Ok(None),
        Some(value) if allowed.contains(&value) => Ok(Some(value)),
        Some(_) => {
            let list: Vec<String> = allowed.iter().map(|a| format!("'{a}'")).collect();
            Err(MatrixError::invalid_param(format!(
                "Query parameter '{name}' must be one of [{}]",
                list.join(", ")
            )))
        }
    }
}

/// `dir`: `f` (default) or `b`; true for `b`.
pub fn backwards(value: Option<&str>) -> Result<bool, MatrixError> {
    Ok(one_of("dir", value, &["f", "b"])? == Some("b"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_errors_as_synapse() {
        let message = |r: Result<i64, MatrixError>| r.err().map(|e| e.message);
        assert_eq!(non_negative("from", Some("7"), 0).ok(), Some(7));
        assert_eq!(non_negative("from", None, 3).ok(), Some(3));
        assert_eq!(
            message(non_negative("from", Some("x"), 0)).as_deref(),
            Some("Query parameter from must be an integer")
        );
        assert_eq!(
            message(non_negative("from", Some("-1"), 0)).as_deref(),
            Some("Query parameter from must be a positive integer.")
        );
        assert_eq!(limit(Some("20000"), 100).ok(), Some(MAX_LIMIT));
        assert_eq!(limit(Some("0"), 100).ok(), Some(0));
        assert_eq!(
            boolean("empty_rooms", Some("1"))
                .err()
                .map(|e| e.message)
                .as_deref(),
            Some("Boolean query parameter 'empty_rooms' must be one of ['true', 'false']")
        );
        assert_eq!(
            backwards(Some("x")).err().map(|e| e.message).as_deref(),
            Some("Query parameter 'dir' must be one of ['f', 'b']")
        );
        assert_eq!(backwards(Some("b")).ok(), Some(true));
    }
}
