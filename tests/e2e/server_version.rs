//! docs/http-api.md §4: server version.

use serde_json::json;

use crate::harness::*;

const PATH: &str = "/_synapse/admin/v1/server_version";

e2e!(server_version_for_admins_only, |app: TestApp| async move {
    let admin = app.register_user("versionadmin", true).await;
    let body = assert_ok(app.get(PATH, Some(&admin.access_token)).await);
    assert_eq!(
        body,
        json!({"server_version": format!("bailiff/{}", env!("CARGO_PKG_VERSION"))})
    );
    let user = app.register_user("versionuser", false).await;
    let reply = app.get(PATH, Some(&user.access_token)).await;
    assert_error(
        &reply,
        403,
        "M_FORBIDDEN",
        Some("You are not a server admin"),
    );
    assert_error(
        &app.get(PATH, None).await,
        401,
        "M_MISSING_TOKEN",
        Some("Missing access token"),
    );
});
