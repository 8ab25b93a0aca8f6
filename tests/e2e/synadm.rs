//! synadm (the Synapse admin CLI, installed by `scripts/python-env.sh`) against bailiff:
//! its user and room commands, unchanged, in both deployment shapes. synadm prints human
//! text around its JSON, so each call returns the JSON documents it printed, in order.

use serde_json::{Value, json};

use crate::harness::{SERVER_NAME, TestApp, TestUser, assert_ok, run_python};

/// A synadm configured for `app` with `admin`'s token, in a temporary directory.
struct Synadm {
    _dir: tempfile::TempDir,
    config: String,
}

impl Synadm {
    fn new(app: &TestApp, admin: &TestUser) -> Self {
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
        Self {
            config: config.to_string_lossy().into_owned(),
            _dir: dir,
        }
    }

    /// Runs `synadm --batch -o json <args>` and returns every JSON document it printed.
    async fn run(&self, args: &[&str]) -> Vec<Value> {
        let mut full = vec!["-m", "synadm", "-c", &self.config, "--batch", "-o", "json"];
        full.extend_from_slice(args);
        let out = run_python(&full).await;
        let documents = json_documents(&out);
        assert!(
            !documents.is_empty(),
            "synadm {args:?} printed no JSON: {out}"
        );
        documents
    }

    /// The last JSON document `synadm <args>` printed: the command's own result.
    async fn result(&self, args: &[&str]) -> Value {
        self.run(args).await.pop().unwrap_or_default()
    }
}

/// The top-level JSON values in `out`: synadm prints each at the start of a line.
fn json_documents(out: &str) -> Vec<Value> {
    let mut documents = Vec::new();
    let mut offset = 0;
    for line in out.split_inclusive('\n') {
        if line.starts_with('{') || line.starts_with('[') {
            let mut stream =
                serde_json::Deserializer::from_str(&out[offset..]).into_iter::<Value>();
            if let Some(Ok(value)) = stream.next() {
                documents.push(value);
            }
        }
        offset += line.len();
    }
    documents
}

fn names(list: &Value) -> Vec<String> {
    list["users"]
        .as_array()
        .map(|users| {
            users
                .iter()
                .filter_map(|user| user["name"].as_str().map(ToOwned::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

e2e!(synadm_user_commands, |app: TestApp| async move {
    let admin = app.register_user("synadmin", true).await;
    let synadm = Synadm::new(&app, &admin);
    let bob = app.user_id("bob");
    let alice = app.register_user("alice", false).await;

    // `user modify` on a missing user creates it (PUT v2/users → 201 + the user).
    let created = synadm
        .result(&[
            "user",
            "modify",
            &bob,
            "-P",
            "bob-password-1",
            "-n",
            "Bob B",
        ])
        .await;
    assert_eq!(created["name"], bob, "{created}");
    assert_eq!(created["displayname"], "Bob B", "{created}");
    assert_eq!(created["admin"], false, "{created}");
    assert_ok(app.login("bob", "bob-password-1").await);

    // `user details`.
    let details = synadm.result(&["user", "details", &bob]).await;
    assert_eq!(details["name"], bob, "{details}");
    assert_eq!(details["deactivated"], false, "{details}");
    assert!(details["creation_ts"].as_i64().is_some(), "{details}");

    // `user modify --admin`, then `user list --admins`.
    let promoted = synadm.result(&["user", "modify", &bob, "--admin"]).await;
    assert_eq!(promoted["admin"], true, "{promoted}");
    let admins = synadm.result(&["user", "list", "--admins"]).await;
    let mut listed = names(&admins);
    listed.sort();
    let mut expected = vec![admin.user_id.clone(), bob.clone()];
    expected.sort();
    assert_eq!(listed, expected, "{admins}");

    // `user list` with a name search, paging and sorting.
    let all = synadm.result(&["user", "list"]).await;
    assert_eq!(all["total"], 3, "{all}");
    let found = synadm.result(&["user", "list", "-n", "ali"]).await;
    assert_eq!(names(&found), vec![alice.user_id.clone()], "{found}");
    let page = synadm.result(&["user", "list", "-l", "1", "-f", "1"]).await;
    assert_eq!(page["total"], 3, "{page}");
    assert_eq!(page["next_token"], "2", "{page}");
    assert_eq!(names(&page), vec![bob.clone()], "{page}");
    let reversed = synadm
        .result(&["user", "list", "--sort-by", "name", "--reverse"])
        .await;
    assert_eq!(names(&reversed).first(), Some(&admin.user_id), "{reversed}");

    // `user deactivate`: tokens die, the user drops out of the default list.
    let done = synadm.result(&["user", "deactivate", &alice.user_id]).await;
    assert_eq!(done["id_server_unbind_result"], "success", "{done}");
    let (status, _) = app
        .get(
            "/_matrix/client/v3/account/whoami",
            Some(&alice.access_token),
        )
        .await;
    assert_eq!(status.as_u16(), 401);
    let details = synadm.result(&["user", "details", &alice.user_id]).await;
    assert_eq!(details["deactivated"], true, "{details}");
    let active = synadm.result(&["user", "list"]).await;
    assert!(!names(&active).contains(&alice.user_id), "{active}");
    let with_deactivated = synadm.result(&["user", "list", "-d"]).await;
    assert!(
        names(&with_deactivated).contains(&alice.user_id),
        "{with_deactivated}"
    );
});

/// Creates a named room as `creator` and joins `others` to it; returns its ID.
async fn room_with_members(app: &TestApp, creator: &TestUser, others: &[&TestUser]) -> String {
    let created = assert_ok(
        app.post(
            "/_matrix/client/v3/createRoom",
            Some(&creator.access_token),
            &json!({"name": "Synadm Room", "preset": "public_chat"}),
        )
        .await,
    );
    let room_id = created["room_id"].as_str().unwrap_or_default().to_owned();
    for user in others {
        assert_ok(
            app.post(
                &format!("/_matrix/client/v3/rooms/{room_id}/join"),
                Some(&user.access_token),
                &json!({}),
            )
            .await,
        );
    }
    room_id
}

e2e!(synadm_room_commands, |app: TestApp| async move {
    let admin = app.register_user("roomadmin", true).await;
    let synadm = Synadm::new(&app, &admin);
    let carol = app.register_user("carol", false).await;
    let dave = app.register_user("dave", false).await;
    let big = room_with_members(&app, &carol, &[&dave]).await;
    let small = assert_ok(
        app.post(
            "/_matrix/client/v3/createRoom",
            Some(&dave.access_token),
            &json!({"name": "Another"}),
        )
        .await,
    )["room_id"]
        .as_str()
        .unwrap_or_default()
        .to_owned();

    // `room list`, sorted by members (largest first) and searched by name.
    let list = synadm
        .result(&["room", "list", "-s", "joined_members"])
        .await;
    assert_eq!(list["total_rooms"], 2, "{list}");
    assert_eq!(list["rooms"][0]["room_id"], big, "{list}");
    assert_eq!(list["rooms"][0]["joined_members"], 2, "{list}");
    assert_eq!(list["rooms"][1]["room_id"], small, "{list}");
    let found = synadm.result(&["room", "list", "-n", "synadm"]).await;
    assert_eq!(found["total_rooms"], 1, "{found}");
    assert_eq!(found["rooms"][0]["name"], "Synadm Room", "{found}");

    // `room details` and `room members`.
    let details = synadm.result(&["room", "details", &big]).await;
    assert_eq!(details["room_id"], big, "{details}");
    assert_eq!(details["creator"], carol.user_id, "{details}");
    assert_eq!(details["joined_local_members"], 2, "{details}");
    let members = synadm.result(&["room", "members", &big]).await;
    assert_eq!(members["total"], 2, "{members}");
    let mut listed: Vec<&str> = members["members"]
        .as_array()
        .map(|m| m.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    listed.sort_unstable();
    let mut expected = vec![carol.user_id.as_str(), dave.user_id.as_str()];
    expected.sort_unstable();
    assert_eq!(listed, expected, "{members}");

    // `room delete` (v2, purge) and `room delete-status` until complete.
    let started = synadm.result(&["room", "delete", &big]).await;
    let delete_id = started["delete_id"]
        .as_str()
        .unwrap_or_else(|| panic!("no delete_id in {started}"))
        .to_owned();
    let mut status = Value::Null;
    for _ in 0..100 {
        status = synadm
            .result(&["room", "delete-status", "-d", &delete_id])
            .await;
        if status["status"] == "complete" || status["status"] == "failed" {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(status["status"], "complete", "{status}");
    assert_eq!(status["room_id"], big, "{status}");
    let gone = app
        .get(
            &format!("/_synapse/admin/v1/rooms/{big}"),
            Some(&admin.access_token),
        )
        .await;
    assert_eq!(gone.0.as_u16(), 404, "{}", gone.1);
    let by_room = synadm.result(&["room", "delete-status", "-r", &big]).await;
    assert_eq!(by_room["results"][0]["delete_id"], delete_id, "{by_room}");

    // `room delete --v1` waits and answers Synapse's shutdown result.
    let shut = synadm
        .result(&["room", "delete", &small, "--v1", "--no-purge"])
        .await;
    assert_eq!(shut["kicked_users"], json!([dave.user_id]), "{shut}");
    assert_eq!(shut["failed_to_kick_users"], json!([]), "{shut}");
});
