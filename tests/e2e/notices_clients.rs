//! Server notices seen by real third-party clients: matrix-nio as the target, synadm as
//! the admin. They need the Python environment made by `scripts/python-env.sh` (or
//! `$BAILIFF_PYTHON`); without it these tests fail.

use serde_json::{Value, json};

use crate::harness::*;

fn system_user() -> String {
    format!("@_server:{SERVER_NAME}")
}

e2e!(
    matrix_nio_receives_a_server_notice,
    |app: TestApp| async move {
        let admin = app.register_user("nioadmin", true).await;
        let target = app.register_user("niotarget", false).await;
        let content = json!({
            "msgtype": "m.text",
            "body": "Please read the terms",
            "format": "org.matrix.custom.html",
            "formatted_body": "<p>Please read the <a href=\"https://example.org\">terms</a></p>",
        });
        let sent = assert_ok(
            app.post(
                "/_synapse/admin/v1/send_server_notice",
                Some(&admin.access_token),
                &json!({"user_id": target.user_id, "content": content}),
            )
            .await,
        );
        let out = run_python(&[
            &client_script("notices_nio.py"),
            &app.base_url,
            &target.user_id,
            &target.password,
        ])
        .await;
        let seen: Value = serde_json::from_str(out.lines().last().unwrap_or_default())
            .unwrap_or_else(|e| panic!("notices_nio.py printed no JSON ({e}): {out}"));
        assert_eq!(seen["invite_sender"], system_user(), "{seen}");
        assert_eq!(seen["invite_membership"], "invite", "{seen}");
        assert_eq!(
            seen["leave"],
            json!({
                "rejected": true,
                "status": 403,
                "errcode": "M_CANNOT_LEAVE_SERVER_NOTICE_ROOM",
                "error": "You cannot reject this invite",
            }),
            "{seen}"
        );
        let notices = seen["notices"].as_array().cloned().unwrap_or_default();
        assert_eq!(notices.len(), 1, "{seen}");
        assert_eq!(notices[0]["sender"], system_user());
        assert_eq!(notices[0]["content"], content);
        assert_eq!(
            seen["tags"],
            json!([{"m.server_notice": {"order": 1.0}}]),
            "{seen}"
        );
        assert_eq!(seen["room_name"], "Server Alerts", "{seen}");
        assert!(
            sent["event_id"]
                .as_str()
                .is_some_and(|id| id.starts_with('$'))
        );
    }
);

e2e!(
    synadm_notice_send_returns_the_event_id,
    |app: TestApp| async move {
        let admin = app.register_user("synadmadmin", true).await;
        let target = app.register_user("synadmtarget", false).await;
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("tempdir: {e}"));
        let config = dir.path().join("synadm.yaml");
        // JSON is YAML, and quotes the `@` of the user ID.
        let yaml = json!({
            "user": admin.user_id,
            "token": admin.access_token,
            "base_url": app.base_url,
            "admin_path": "/_synapse/admin",
            "matrix_path": "/_matrix",
            "timeout": 30,
            "homeserver": SERVER_NAME,
            "ssl_verify": false,
            "format": "json",
        })
        .to_string();
        std::fs::write(&config, yaml)
            .unwrap_or_else(|e| panic!("writing {}: {e}", config.display()));
        let out = run_python(&[
            "-m",
            "synadm",
            "-c",
            &config.to_string_lossy(),
            "--batch",
            "-o",
            "json",
            "notice",
            "send",
            &target.user_id,
            "Plain notice",
            "<b>Formatted</b> notice",
        ])
        .await;
        let start = out
            .find('[')
            .unwrap_or_else(|| panic!("no JSON list in {out}"));
        let replies: Value = serde_json::from_str(out[start..].trim())
            .unwrap_or_else(|e| panic!("synadm printed no JSON ({e}): {out}"));
        let event_id = replies[0]["event_id"].as_str().unwrap_or_default();
        assert!(event_id.starts_with('$'), "{out}");

        // The target sees it, formatted body kept.
        let sync = assert_ok(
            app.get("/_matrix/client/v3/sync", Some(&target.access_token))
                .await,
        );
        let room = sync["rooms"]["invite"]
            .as_object()
            .and_then(|o| o.keys().next().cloned())
            .unwrap_or_else(|| panic!("no invite in {sync}"));
        assert_ok(
            app.post(
                &format!("/_matrix/client/v3/rooms/{room}/join"),
                Some(&target.access_token),
                &json!({}),
            )
            .await,
        );
        let messages = assert_ok(
            app.get(
                &format!("/_matrix/client/v3/rooms/{room}/messages?dir=b&limit=10"),
                Some(&target.access_token),
            )
            .await,
        );
        let event = messages["chunk"]
            .as_array()
            .and_then(|c| c.iter().find(|e| e["event_id"] == event_id).cloned())
            .unwrap_or_else(|| panic!("{event_id} not in {messages}"));
        assert_eq!(
            event["content"],
            json!({
                "msgtype": "m.text",
                "body": "Plain notice",
                "format": "org.matrix.custom.html",
                "formatted_body": "<b>Formatted</b> notice",
            })
        );
    }
);
