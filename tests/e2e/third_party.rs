//! Real third-party clients against the gateway: matrix-nio and Synapse's
//! `register_new_matrix_user`. They need the Python environment made by
//! `scripts/python-env.sh` (or `$BAILIFF_PYTHON`); without it these tests fail.

use crate::harness::*;

e2e!(
    matrix_nio_logs_in_whoami_and_out,
    |app: TestApp| async move {
        let user = app.register_user("niouser", false).await;
        let out = run_python(&[
            &client_script("nio_login.py"),
            &app.base_url,
            &user.user_id,
            &user.password,
        ])
        .await;
        let result: serde_json::Value =
            serde_json::from_str(out.lines().last().unwrap_or_default())
                .unwrap_or_else(|e| panic!("nio_login.py printed no JSON ({e}): {out}"));
        assert_eq!(result["user_id"], user.user_id.as_str(), "{result}");
        assert_eq!(result["whoami"], user.user_id.as_str(), "{result}");
        // nio's token no longer works after its logout.
        let token = result["access_token"].as_str().unwrap_or_default();
        let reply = app
            .get("/_matrix/client/v3/account/whoami", Some(token))
            .await;
        assert_error(&reply, 401, "M_UNKNOWN_TOKEN", None);
    }
);

e2e!(
    synapse_register_new_matrix_user,
    |app: TestApp| async move {
        let secret = app.secret.clone().unwrap_or_default();
        run_python(&[
            &client_script("synapse_register.py"),
            &app.base_url,
            &secret,
            "synapseuser",
            "synapse-pass",
        ])
        .await;
        let (status, body) = app.login("synapseuser", "synapse-pass").await;
        assert_eq!(status.as_u16(), 200, "{body}");
        assert_eq!(body["user_id"], app.user_id("synapseuser"));
        // Not an admin (--no-admin).
        let token = body["access_token"].as_str().unwrap_or_default();
        let reply = app
            .get("/_synapse/admin/v1/federation/destinations", Some(token))
            .await;
        assert_error(&reply, 403, "M_FORBIDDEN", None);
    }
);
