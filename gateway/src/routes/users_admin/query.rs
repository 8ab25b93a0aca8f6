//! Query parameters checked as Synapse's `synapse/http/servlet.py` checks them, with its
//! texts (`docs/http-api.md` §7): integers, non-negative integers, `true`/`false`
//! booleans and enumerations. Unknown parameters are ignored; the first value of a
//! repeated key wins, except where a parameter is repeatable ([`Query::all`]).

use matrix_status::MatrixError;

/// A parsed query string.
#[derive(Debug, Default)]
pub struct Query(Vec<(String, String)>);

impl Query {
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

    /// A non-negative integer: `"Query parameter {name} must be an integer"` when it is
    /// not one, `"… must be a positive integer."` when negative.
    pub fn non_negative(&self, name: &str) -> Result<Option<u64>, MatrixError> {
        let Some(text) = self.first(name) else {
            return Ok(None);
        };
        let value: i64 = text.trim().parse().map_err(|_| {
            MatrixError::invalid_param(format!("Query parameter {name} must be an integer"))
        })?;
        u64::try_from(value).map(Some).map_err(|_| {
            MatrixError::invalid_param(format!(
                "Query parameter {name} must be a positive integer."
            ))
        })
    }

    /// `true` or `false` exactly.
    pub fn boolean(&self, name: &str) -> Result<Option<bool>, MatrixError> {
        match self.first(name) {
            None => Ok(None),
            Some("true") => Ok(Some(true)),
            Some("false") => Ok(Some(false)),
            Some(_) => Err(MatrixError::invalid_param(format!(
                "Boolean query parameter '{name}' must be one of ['true', 'false']"
            ))),
        }
    }

    /// One of `allowed`.
    pub fn one_of(
        &self,
        name: &str,
        allowed: &[&'static str],
    ) -> Result<Option<&'static str>, MatrixError> {
        let Some(text) = self.first(name) else {
            return Ok(None);
        };
        allowed
            .iter()
            .find(|value| **value == text)
            .copied()
            .map(Some)
            .ok_or_else(|| {
                let list = allowed
                    .iter()
                    .map(|value| format!("'{value}'"))
                    .collect::<Vec<_>>()
                    .join(", ");
                MatrixError::invalid_param(format!(
                    "Query parameter '{name}' must be one of [{list}]"
                ))
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn texts_follow_synapse() {
        let q = Query::parse(Some("from=x&limit=-1&guests=yes&dir=z&a=1&a=2"));
        let text = |e: MatrixError| e.message;
        assert_eq!(
            q.non_negative("from").map_err(text),
            Err("Query parameter from must be an integer".to_owned())
        );
        assert_eq!(
            q.non_negative("limit").map_err(text),
            Err("Query parameter limit must be a positive integer.".to_owned())
        );
        assert_eq!(
            q.boolean("guests").map_err(text),
            Err("Boolean query parameter 'guests' must be one of ['true', 'false']".to_owned())
        );
        assert_eq!(
            q.one_of("dir", &["b", "f"]).map_err(text),
            Err("Query parameter 'dir' must be one of ['b', 'f']".to_owned())
        );
        assert_eq!(q.all("a"), ["1", "2"]);
        assert_eq!(q.first("a"), Some("1"));
        assert_eq!(q.non_negative("missing").ok(), Some(None));
    }
}
