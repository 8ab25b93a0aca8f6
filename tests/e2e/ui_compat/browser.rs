//! The admin web UIs, unchanged, in headless Chromium against the embedded system
//! (issue 11, "Browser end-to-end"): synapse-admin 0.11.4 and Ketesa 1.3.0, the static
//! builds of `../shared/admin-uis` (`BAILIFF_ADMIN_UIS` to put them elsewhere).
//!
//! Each test starts bailiff, registers an admin, copies the UI build into a temporary
//! folder with a `config.json` that pins this server, and runs
//! `tests/browser/admin_ui.py` (Python playwright from `target/pyenv`, driving Debian's
//! `/usr/bin/chromium`), which serves the copy, logs in through the form and runs the
//! named flows. Flows that need endpoints still being built are listed as pending in
//! `tests/browser/flows.py` and run with `BAILIFF_BROWSER_FLOWS=all`.
//!
//! Missing Chromium, Python or the UI builds fail the test with what to do; nothing is
//! skipped. The two UIs run one at a time, so two Chromiums never share the cores.

use std::path::{Path, PathBuf};

use tokio::sync::Mutex;

use crate::harness::*;

/// One browser at a time (see the module comment).
static BROWSER: Mutex<()> = Mutex::const_new(());

/// Where the UI builds are: `$BAILIFF_ADMIN_UIS`, else `shared/admin-uis` beside the
/// checkout (CI lays `shared/` next to its clone).
fn admin_uis() -> PathBuf {
    let path = std::env::var_os("BAILIFF_ADMIN_UIS").map_or_else(
        || Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/admin-uis"),
        PathBuf::from,
    );
    assert!(
        path.join("synapse-admin/index.html").exists() && path.join("ketesa/index.html").exists(),
        "the admin UI builds are required for the browser tests but {} does not hold \
         synapse-admin/ and ketesa/: set BAILIFF_ADMIN_UIS to the folder that does",
        path.display()
    );
    path
}

/// The Chromium playwright drives: `$BAILIFF_CHROMIUM`, else Debian's.
fn chromium() -> PathBuf {
    let path = std::env::var_os("BAILIFF_CHROMIUM")
        .map_or_else(|| PathBuf::from("/usr/bin/chromium"), PathBuf::from);
    assert!(
        path.exists(),
        "Chromium is required for the browser tests but {} does not exist: \
         `apt-get install chromium` (scripts/test.sh does it when apt is there) or set \
         BAILIFF_CHROMIUM",
        path.display()
    );
    path
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap_or_else(|e| panic!("creating {}: {e}", to.display()));
    let entries =
        std::fs::read_dir(from).unwrap_or_else(|e| panic!("reading {}: {e}", from.display()));
    for entry in entries {
        let entry = entry.unwrap_or_else(|e| panic!("reading {}: {e}", from.display()));
        let target = to.join(entry.file_name());
        if entry.path().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target)
                .unwrap_or_else(|e| panic!("copying {}: {e}", entry.path().display()));
        }
    }
}

/// The `config.json` of both UIs: the homeserver pinned to this server, as a list so the
/// login form's URL field stays editable and the test types it, as an operator does.
/// Ketesa's well-known discovery stays on, so it reads our `/.well-known/matrix/client`.
fn config(base_url: &str) -> serde_json::Value {
    serde_json::json!({"restrictBaseUrl": [base_url]})
}

async fn drive(ui: &str) {
    let uis = admin_uis();
    let chromium = chromium();
    let python = python();
    let _one_at_a_time = BROWSER.lock().await;
    let app = spawn_app(Mode::Embedded).await;
    let admin = app.register_user("browseradmin", true).await;
    let work = tempfile::tempdir().unwrap_or_else(|e| panic!("temporary folder: {e}"));
    let site = work.path().join(ui);
    copy_dir(&uis.join(ui), &site);
    std::fs::write(site.join("config.json"), config(&app.base_url).to_string())
        .unwrap_or_else(|e| panic!("writing config.json: {e}"));
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/browser/admin_ui.py");
    let output = tokio::process::Command::new(python)
        .arg(&script)
        .args(["--ui", ui, "--base-url", &app.base_url])
        .args(["--admin", &admin.user_id, "--password", &admin.password])
        .args(["--shared-secret", app.secret.as_deref().unwrap_or_default()])
        .arg("--dir")
        .arg(&site)
        .arg("--artifacts")
        .arg(work.path())
        .env("BAILIFF_CHROMIUM", &chromium)
        .env("NO_PROXY", "*")
        .env_remove("HTTP_PROXY")
        .env_remove("http_proxy")
        .output()
        .await
        .unwrap_or_else(|e| panic!("running {}: {e}", script.display()));
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    println!("{stdout}");
    if !output.status.success() {
        // Keep the screenshots of the failed flows for a look.
        let kept = work.keep();
        panic!(
            "{ui} in Chromium failed ({}); screenshots in {}\nstdout:\n{stdout}\nstderr:\n{stderr}",
            output.status,
            kept.display()
        );
    }
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn synapse_admin_in_chromium() {
    drive("synapse-admin").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ketesa_in_chromium() {
    drive("ketesa").await;
}
