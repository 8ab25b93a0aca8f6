//! `bailiff register-user`: the shared-secret registration flow from the command line,
//! so an operator can create the first admin (like Synapse's `register_new_matrix_user`
//! and Dendrite's `create-account`). It speaks HTTP to a running gateway.

use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use bailiff_config::Config;

/// What to register, and where.
pub struct Request {
    pub base_url: String,
    pub shared_secret: String,
    pub localpart: String,
    pub password: String,
    pub admin: bool,
}

impl Request {
    /// Builds a request from command-line arguments and the configuration.
    pub fn from_cli(
        config: &Config,
        user: String,
        password_file: &Path,
        admin: bool,
        url: Option<String>,
        shared_secret_file: Option<PathBuf>,
    ) -> anyhow::Result<Self> {
        let password = std::fs::read_to_string(password_file)
            .with_context(|| format!("reading {}", password_file.display()))?
            .lines()
            .next()
            .unwrap_or_default()
            .to_owned();
        if password.is_empty() {
            bail!("the password file {} is empty", password_file.display());
        }
        let shared_secret = match shared_secret_file {
            Some(path) => std::fs::read_to_string(&path)
                .with_context(|| format!("reading {}", path.display()))?
                .trim_end_matches(['\n', '\r'])
                .to_owned(),
            None => config
                .registration_shared_secret
                .clone()
                .context("no registration_shared_secret configured; pass --shared-secret-file")?,
        };
        // Accept `@alice:server` as well as `alice`.
        let localpart = user
            .strip_prefix('@')
            .and_then(|rest| rest.split_once(':').map(|(l, _)| l.to_owned()))
            .unwrap_or(user);
        Ok(Self {
            base_url: url.unwrap_or_else(|| format!("http://{}", config.listen.http)),
            shared_secret,
            localpart,
            password,
            admin,
        })
    }
}

/// The MAC Synapse defines (one implementation, in the gateway, which also checks it).
pub use gateway::registration_mac;

/// Fetches a nonce, signs and posts the registration; returns the new user ID.
pub async fn register(request: &Request) -> anyhow::Result<String> {
    let endpoint = format!(
        "{}/_synapse/admin/v1/register",
        request.base_url.trim_end_matches('/')
    );
    let client = reqwest::Client::new();
    let nonce: serde_json::Value = client
        .get(&endpoint)
        .send()
        .await
        .with_context(|| format!("contacting {endpoint}"))?
        .json()
        .await?;
    let Some(nonce) = nonce.get("nonce").and_then(|n| n.as_str()) else {
        bail!("the server gave no nonce: {nonce}");
    };
    let mac = registration_mac(
        &request.shared_secret,
        nonce,
        &request.localpart,
        &request.password,
        request.admin,
        None,
    );
    let response = client
        .post(&endpoint)
        .json(&serde_json::json!({
            "nonce": nonce,
            "username": request.localpart,
            "password": request.password,
            "admin": request.admin,
            "mac": mac,
        }))
        .send()
        .await?;
    let status = response.status();
    let body: serde_json::Value = response.json().await.unwrap_or_default();
    if !status.is_success() {
        bail!(
            "registration refused ({status}): {} {}",
            body["errcode"].as_str().unwrap_or("?"),
            body["error"].as_str().unwrap_or("")
        );
    }
    Ok(body["user_id"].as_str().unwrap_or_default().to_owned())
}
