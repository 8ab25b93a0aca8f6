//! matrix-nio drives the room endpoints: two users log in, one creates a room and
//! invites, the other sees the invite in /sync, joins, and reads a message back through
//! /sync and /messages. Needs the Python environment of `scripts/python-env.sh` (or
//! `$BAILIFF_PYTHON`).

use crate::harness::*;

e2e!(
    matrix_nio_creates_invites_joins_and_reads,
    |app: TestApp| async move {
        let alice = app.register_user("nioalice", false).await;
        let bob = app.register_user("niobob", false).await;
        let stdout = run_python(&[
            &client_script("nio_rooms.py"),
            &app.base_url,
            &alice.user_id,
            &alice.password,
            &bob.user_id,
            &bob.password,
        ])
        .await;
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
