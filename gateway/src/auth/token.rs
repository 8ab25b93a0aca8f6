//! Where the access token comes from: `Authorization: Bearer <token>` or the deprecated
//! `?access_token=` query parameter, never both.

use http::header::AUTHORIZATION;
use http::request::Parts;
use matrix_status::{MatrixError, errcode};

fn missing_token(message: &str) -> MatrixError {
    MatrixError::new(401, errcode::MISSING_TOKEN, message)
}

/// The access token of a request, or the pinned `401 M_MISSING_TOKEN` errors.
pub fn access_token(parts: &Parts) -> Result<String, MatrixError> {
    let headers: Vec<_> = parts.headers.get_all(AUTHORIZATION).iter().collect();
    let query = query_token(parts.uri.query());
    if !headers.is_empty() {
        if query.is_some() {
            return Err(missing_token(
                "Mixing Authorization headers and access_token query parameters",
            ));
        }
        let invalid = || missing_token("Invalid Authorization header");
        let [header] = headers.as_slice() else {
            return Err(invalid());
        };
        let value = header.to_str().map_err(|_| invalid())?;
        let token = value.strip_prefix("Bearer ").ok_or_else(invalid)?;
        if token.is_empty() || token.contains(' ') {
            return Err(invalid());
        }
        return Ok(token.to_owned());
    }
    query.ok_or_else(|| missing_token("Missing access token"))
}

/// The first `access_token` query parameter, decoded.
fn query_token(query: Option<&str>) -> Option<String> {
    url::form_urlencoded::parse(query?.as_bytes())
        .find(|(key, _)| key == "access_token")
        .map(|(_, value)| value.into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parts(uri: &str, auth: &[&str]) -> Parts {
        let mut builder = http::Request::builder().uri(uri);
        for value in auth {
            builder = builder.header(AUTHORIZATION, *value);
        }
        builder
            .body(())
            .map_or_else(|e| panic!("{e}"), |r| r.into_parts().0)
    }

    fn message(result: Result<String, MatrixError>) -> String {
        match result {
            Ok(token) => format!("token {token}"),
            Err(e) => e.message,
        }
    }

    #[test]
    fn follows_the_pinned_rules() {
        assert_eq!(
            message(access_token(&parts("/x", &[]))),
            "Missing access token"
        );
        assert_eq!(
            message(access_token(&parts("/x", &["Bearer abc"]))),
            "token abc"
        );
        assert_eq!(
            message(access_token(&parts("/x?access_token=a%2Bb", &[]))),
            "token a+b"
        );
        assert_eq!(
            message(access_token(&parts("/x", &["Basic abc"]))),
            "Invalid Authorization header"
        );
        assert_eq!(
            message(access_token(&parts("/x", &["Bearer "]))),
            "Invalid Authorization header"
        );
        assert_eq!(
            message(access_token(&parts("/x?access_token=a", &["Bearer abc"]))),
            "Mixing Authorization headers and access_token query parameters"
        );
    }
}
