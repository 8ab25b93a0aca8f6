//! docs/http-api.md §4: server version, answered with or without a token (it was
//! admin-only until the admin web UIs needed it before login; issue 11).

use serde_json::json;

use crate::harness::*;

const PATH: &str = "/_synapse/admin/v1/server_version";

e2e!(server_version_needs_no_token, |app: TestApp| async move {
    let expected = json!({"server_version": format!("bailiff/{}", env!("CARGO_PKG_VERSION"))});
    let admin = app.register_user("versionadmin", true).await;
    let user = app.register_user("versionuser", false).await;
    for token in [
        None,
        Some(admin.access_token.as_str()),
        Some(user.access_token.as_str()),
        // A token is not looked at, so a bad one does not matter either.
        Some("not-a-token"),
    ] {
        assert_eq!(assert_ok(app.get(PATH, token).await), expected, "{token:?}");
    }
});
