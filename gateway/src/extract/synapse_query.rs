//! Query parameters of the Synapse admin API, checked and worded as Synapse's
//! `synapse/http/servlet.py` checks them (`docs/http-api.md` §7). The typed adapter
//! ([`super::typed`]) has its own texts; the admin UIs show these, so the Synapse areas
//! read their parameters as strings and check them here. Unknown parameters are ignored;
//! the first value of a repeated key wins, except where a parameter is repeatable
//! ([`QueryPairs::all`]).

use matrix_status::MatrixError;

/// The largest page any admin list answers (`docs/http-api.md` §7).
pub const MAX_LIMIT: i64 = 10_000;

/// A non-negative integer parameter; absent is `default`. Texts:
/// `"Query parameter {name} must be an integer"`, `"… must be a positive integer."`.
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

/// A parameter restricted to `allowed`, answered as the matching entry; absent is `None`.
pub fn one_of<'a>(
    name: &str,
    value: Option<&str>,
    allowed: &[&'a str],
) -> Result<Option<&'a str>, MatrixError> {
    let Some(value) = value else {
        return Ok(None);
    };
    allowed
        .iter()
        .find(|candidate| **candidate == value)
        .map(|candidate| Some(*candidate))
        .ok_or_else(|| {
            let list: Vec<String> = allowed.iter().map(|a| format!("'{a}'")).collect();
            MatrixError::invalid_param(format!(
                "Query parameter '{name}' must be one of [{}]",
                list.join(", ")
            ))
        })
}

/// `dir`: `f` (default) or `b`; true for `b`. Synapse lists its `Direction` enum's
/// values in declaration order, `b` first, in the error text.
pub fn backwards(value: Option<&str>) -> Result<bool, MatrixError> {
    Ok(one_of("dir", value, &["b", "f"])? == Some("b"))
}

/// A query string as its decoded pairs, for endpoints with repeatable parameters.
#[derive(Debug, Default)]
pub struct QueryPairs(Vec<(String, String)>);

impl QueryPairs {
    /// Parses a raw query string; never fails (bad escapes decode leniently, as every
    /// query parser does).
    pub fn parse(raw: Option<&str>) -> Self {
        Self(
            url::form_urlencoded::parse(raw.unwrap_or_default().as_bytes())
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect(),
        )
    }

    /// The first value of `name`.
    pub fn first(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.as_str())
    }

    /// Every value of a repeatable parameter.
    pub fn all(&self, name: &str) -> Vec<String> {
        self.0
            .iter()
            .filter(|(key, _)| key == name)
            .map(|(_, value)| value.clone())
            .collect()
    }

    /// [`non_negative`] of the first value, as the unsigned number it is; absent is `None`.
    pub fn non_negative(&self, name: &str) -> Result<Option<u64>, MatrixError> {
        match self.first(name) {
            None => Ok(None),
            value => non_negative(name, value, 0).map(|n| Some(n.unsigned_abs())),
        }
    }

    /// [`limit`] of the first value; absent is `default`.
    pub fn limit(&self, default: u64) -> Result<u64, MatrixError> {
        let default = i64::try_from(default).unwrap_or(MAX_LIMIT);
        limit(self.first("limit"), default).map(i64::unsigned_abs)
    }

    /// [`boolean`] of the first value.
    pub fn boolean(&self, name: &str) -> Result<Option<bool>, MatrixError> {
        boolean(name, self.first(name))
    }

    /// [`one_of`] of the first value.
    pub fn one_of<'a>(
        &self,
        name: &str,
        allowed: &[&'a str],
    ) -> Result<Option<&'a str>, MatrixError> {
        one_of(name, self.first(name), allowed)
    }

    /// [`backwards`] of the first `dir`.
    pub fn backwards(&self) -> Result<bool, MatrixError> {
        backwards(self.first("dir"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text<T: std::fmt::Debug>(result: Result<T, MatrixError>) -> String {
        result.err().map(|e| e.message).unwrap_or_default()
    }

    #[test]
    fn words_errors_as_synapse() {
        assert_eq!(non_negative("from", Some("7"), 0).ok(), Some(7));
        assert_eq!(non_negative("from", None, 3).ok(), Some(3));
        assert_eq!(
            text(non_negative("from", Some("x"), 0)),
            "Query parameter from must be an integer"
        );
        assert_eq!(
            text(non_negative("limit", Some("-1"), 0)),
            "Query parameter limit must be a positive integer."
        );
        assert_eq!(limit(Some("20000"), 100).ok(), Some(MAX_LIMIT));
        assert_eq!(limit(Some("0"), 100).ok(), Some(0));
        assert_eq!(
            text(boolean("guests", Some("1"))),
            "Boolean query parameter 'guests' must be one of ['true', 'false']"
        );
        assert_eq!(
            text(backwards(Some("x"))),
            "Query parameter 'dir' must be one of ['b', 'f']"
        );
        assert_eq!(backwards(Some("b")).ok(), Some(true));
        assert_eq!(backwards(None).ok(), Some(false));
    }

    #[test]
    fn pairs_keep_repeats_and_take_the_first() {
        let q = QueryPairs::parse(Some("a=1&a=2&from=-3&limit=20000"));
        assert_eq!(q.all("a"), ["1", "2"]);
        assert_eq!(q.first("a"), Some("1"));
        assert_eq!(q.non_negative("missing").ok(), Some(None));
        assert_eq!(
            text(q.non_negative("from")),
            "Query parameter from must be a positive integer."
        );
        assert_eq!(q.limit(100).ok(), Some(10_000));
        assert_eq!(QueryPairs::parse(None).limit(100).ok(), Some(100));
    }
}
