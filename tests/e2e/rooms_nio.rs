//! matrix-nio drives the room endpoints: two users log in, one creates a room and
//! invites, the other sees the invite in /sync, joins, and reads a message back through
//! /sync and /messages. Needs the Python environment of `scripts/python-env.sh` (or
//! `$BAILIFF_PYTHON`).

use std::path::PathBuf;

use tokio::process::Command;

use crate::harness::*;

e2e!(
    matrix_nio_creates_invites_joins_and_reads,
    |app: TestApp| async move {
        let alice = app.register_user("nioalice", false).await;
        let bob = app.register_user("niobob", false).await;
        let script =
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/e2e/clients/nio_rooms.py");
        let output = Command::new(python())
            .arg(script)
            .args([
                &app.base_url,
                &alice.user_id,
                &alice.password,
                &bob.user_id,
                &bob.password,
            ])
            .env("NO_PROXY", "*")
            .env_remove("HTTP_PROXY")
            .env_remove("http_proxy")
            .output()
            .await
            .unwrap_or_else(|e| panic!("running nio_rooms.py: {e}"));
        let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(
            output.status.success(),
            "nio_rooms.py failed ({}):\nstdout:\n{stdout}\nstderr:\n{stderr}",
            output.status
        );
        let result: serde_json::Value =
            serde_json::from_str(stdout.lines().last().unwrap_or_default())
                .unwrap_or_else(|e| panic!("nio_rooms.py printed no JSON ({e}): {stdout}"));
        assert_eq!(
            result["invite_senders"],
            serde_json::json!([alice.user_id]),
            "{result}"
        );
        assert_eq!(result["invited_room_name"], "nio room", "{result}");
        assert_eq!(result["room_name"], "nio room", "{result}");
        let mut members = vec![alice.user_id.clone(), bob.user_id.clone()];
        members.sort();
        assert_eq!(result["members"], serde_json::json!(members), "{result}");
        assert_eq!(
            result["messages"],
            serde_json::json!(["hello from nio"]),
            "{result}"
        );
    }
);
