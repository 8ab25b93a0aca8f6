//! Configuration for every role: one YAML file plus `BAILIFF_<SECTION>__<KEY>`
//! environment overrides, with a default for every key so that no file is needed at all.
//!
//! Every key is documented, with its default, in `docs/configuration.md`; keep the two in
//! step.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use figment::Figment;
use figment::providers::{Env, Format, Serialized, Yaml};
use figment::value::{Dict, Value};
use ipnet::IpNet;
use serde::{Deserialize, Serialize};

use crate::duration::{DurationText, pick};

pub mod duration;
pub mod network;
#[cfg(test)]
mod tests;

/// Why the configuration could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("invalid configuration: {0}")]
    Invalid(#[from] Box<figment::Error>),
    #[error("cannot read {key} from {path}: {source}")]
    SecretFile {
        key: &'static str,
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("invalid configuration: {0}")]
    Rule(String),
}

/// Keys without a section, readable from `BAILIFF_<KEY>`.
const TOP_LEVEL_KEYS: &[&str] = &[
    "server_name",
    "registration_shared_secret",
    "registration_shared_secret_file",
    "trusted_proxies",
    "public_base_url",
];

/// The whole configuration.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// The Matrix server name: the part after `:` in user and room IDs.
    pub server_name: String,
    /// Shared secret for `/_synapse/admin/v1/register`; absent disables it.
    pub registration_shared_secret: Option<String>,
    /// File holding the shared secret (e.g. a mounted Kubernetes Secret).
    pub registration_shared_secret_file: Option<PathBuf>,
    pub database: DatabaseConfig,
    pub redis: RedisConfig,
    pub listen: ListenConfig,
    pub http: HttpConfig,
    pub accounts: RoleConfig,
    pub membership: RoleConfig,
    pub notices: RoleConfig,
    pub server_notices: ServerNoticesConfig,
    /// Peers whose `X-Forwarded-For` is believed: CIDR blocks, or bare addresses
    /// (a /32 or /128), checked when the configuration is loaded.
    #[serde(with = "network")]
    pub trusted_proxies: Vec<IpNet>,
    pub auth: AuthConfig,
    pub telemetry: TelemetryConfig,
    pub shutdown: ShutdownConfig,
    /// The URL clients reach the gateway at, announced by `/.well-known/matrix/client`;
    /// absent means the HTTP listener's own URL.
    pub public_base_url: Option<String>,
    pub cors: CorsConfig,
}

/// CORS beyond the fixed `*` answer (`docs/http-api.md` §8).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CorsConfig {
    /// Origins (`scheme://host[:port]`) that may send credentials: their `Origin` is
    /// echoed with `Access-Control-Allow-Credentials: true` instead of `*`.
    pub allow_credentials_origins: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DatabaseConfig {
    /// `sqlite://path` or `postgres://user@host/db`.
    pub url: String,
    /// File holding the URL instead (it may carry a password).
    pub url_file: Option<PathBuf>,
    /// Connections per pool (each service in a process has its own pool); `None` picks
    /// [`DatabaseConfig::pool_size`]'s default for the backend.
    pub max_connections: Option<u32>,
}

impl DatabaseConfig {
    /// Connections per pool: the configured number, else 16 on PostgreSQL and 4 on
    /// SQLite. SQLite runs one writer at a time and reads from the OS page cache, so more
    /// connections add memory (a page and statement cache each) but no throughput.
    pub fn pool_size(&self) -> u32 {
        self.max_connections
            .unwrap_or(if self.url.starts_with("sqlite:") {
                4
            } else {
                16
            })
            .max(1)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RedisConfig {
    /// `redis://host:port`; absent means the embedded, in-process queue and bus.
    pub url: Option<String>,
    pub url_file: Option<PathBuf>,
    /// Prefix of every Redis key and channel, so deployments can share a server.
    pub key_prefix: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ListenConfig {
    /// Public HTTP listener of the gateway.
    pub http: SocketAddr,
    /// Internal listener for `/metrics`, `/livez`, `/readyz`; never expose publicly.
    pub internal: Option<SocketAddr>,
}

/// Limits of the gateway's public HTTP listener, so slow or misbehaving clients cannot
/// starve it (`docs/architecture.md`, "Edge limits"). The defaults suit a public
/// deployment.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct HttpConfig {
    /// How long a client may take to send a request's head (request line and headers),
    /// from its first byte, or from the connection's opening for its first request.
    #[serde(with = "duration")]
    pub header_read_timeout: Duration,
    /// How long a connection may stay open with no request in progress.
    #[serde(with = "duration")]
    pub idle_timeout: Duration,
    /// How long a client may take to send a request's body; a handler's own work is
    /// never counted.
    #[serde(with = "duration")]
    pub body_read_timeout: Duration,
    /// Most open connections per gateway process; connections beyond it are refused.
    pub max_connections: u32,
    /// Most bytes of request header fields (names and values) in one request.
    pub max_header_bytes: u32,
    /// Most bytes of a request's path and query string.
    pub max_uri_bytes: u32,
    /// Most requests the gateway works on at once; more are answered `503` at once.
    pub max_in_flight_requests: u32,
    /// Most concurrent HTTP/2 streams per connection.
    pub h2_max_concurrent_streams: u32,
    /// Most HTTP/2 streams a client may reset before the gateway accepted them; beyond
    /// it the connection is closed (rapid reset, CVE-2023-44487).
    pub h2_max_pending_reset_streams: u32,
    /// Most HTTP/2 streams the gateway may have to reset for a client's protocol errors;
    /// beyond it the connection is closed.
    pub h2_max_local_error_resets: u32,
}

impl Default for HttpConfig {
    fn default() -> Self {
        Self {
            header_read_timeout: Duration::from_secs(10),
            idle_timeout: Duration::from_secs(60),
            body_read_timeout: Duration::from_secs(30),
            max_connections: 10_000,
            max_header_bytes: 32 * 1024,
            max_uri_bytes: 8 * 1024,
            max_in_flight_requests: 2048,
            h2_max_concurrent_streams: 100,
            h2_max_pending_reset_streams: 20,
            h2_max_local_error_resets: 1024,
        }
    }
}

impl HttpConfig {
    fn check(&self) -> Result<(), ConfigError> {
        let timeouts = [
            ("http.header_read_timeout", self.header_read_timeout),
            ("http.idle_timeout", self.idle_timeout),
            ("http.body_read_timeout", self.body_read_timeout),
        ];
        for (key, value) in timeouts {
            if value.is_zero() {
                return Err(ConfigError::Rule(format!("{key} must be longer than 0")));
            }
        }
        let counts = [
            ("http.max_connections", self.max_connections, 1),
            ("http.max_header_bytes", self.max_header_bytes, 1024),
            ("http.max_uri_bytes", self.max_uri_bytes, 256),
            (
                "http.max_in_flight_requests",
                self.max_in_flight_requests,
                1,
            ),
            (
                "http.h2_max_concurrent_streams",
                self.h2_max_concurrent_streams,
                1,
            ),
            (
                "http.h2_max_pending_reset_streams",
                self.h2_max_pending_reset_streams,
                1,
            ),
            (
                "http.h2_max_local_error_resets",
                self.h2_max_local_error_resets,
                1,
            ),
        ];
        for (key, value, least) in counts {
            if value < least {
                return Err(ConfigError::Rule(format!("{key} must be at least {least}")));
            }
        }
        // Both size limits together bound the buffer of a request head; keep it far from
        // what a 32-bit size or hyper's own bounds could not hold.
        for (key, value) in [
            ("http.max_header_bytes", self.max_header_bytes),
            ("http.max_uri_bytes", self.max_uri_bytes),
        ] {
            if value > 1024 * 1024 {
                return Err(ConfigError::Rule(format!("{key} must be at most 1048576")));
            }
        }
        Ok(())
    }
}

/// Where one gRPC role listens, and where the other roles find it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RoleConfig {
    /// Address this role's gRPC server binds when it runs as its own process.
    pub listen: SocketAddr,
    /// URL the other roles dial to reach it (e.g. a Kubernetes Service).
    pub address: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ServerNoticesConfig {
    pub enabled: bool,
    /// Localpart of the system user that sends notices; reserved from registration.
    pub local_part: String,
    pub display_name: String,
    pub room_name: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(from = "AuthKeys")]
pub struct AuthConfig {
    /// How long the gateway may reuse an answer about a token. Revocations are
    /// broadcast, so this bounds staleness only if a broadcast is lost.
    #[serde(serialize_with = "duration::serialize")]
    pub token_cache_ttl: Duration,
    /// Upper bound on cached tokens per gateway.
    pub token_cache_capacity: u64,
    /// How often client-IP sightings are flushed to accounts-svc.
    #[serde(serialize_with = "duration::serialize")]
    pub client_ip_flush: Duration,
    /// How long the gateway may reuse a whois answer; zero turns the cache off.
    #[serde(serialize_with = "duration::serialize")]
    pub whois_cache: Duration,
}

/// The `auth` keys as written, old millisecond keys included.
#[derive(Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
struct AuthKeys {
    token_cache_ttl: Option<DurationText>,
    token_cache_ttl_ms: Option<u64>,
    token_cache_capacity: Option<u64>,
    client_ip_flush: Option<DurationText>,
    client_ip_flush_ms: Option<u64>,
    whois_cache: Option<DurationText>,
    whois_cache_ms: Option<u64>,
}

impl From<AuthKeys> for AuthConfig {
    fn from(keys: AuthKeys) -> Self {
        let default = Self::default();
        Self {
            token_cache_ttl: pick(
                keys.token_cache_ttl,
                keys.token_cache_ttl_ms,
                default.token_cache_ttl,
            ),
            token_cache_capacity: keys
                .token_cache_capacity
                .unwrap_or(default.token_cache_capacity),
            client_ip_flush: pick(
                keys.client_ip_flush,
                keys.client_ip_flush_ms,
                default.client_ip_flush,
            ),
            whois_cache: pick(keys.whois_cache, keys.whois_cache_ms, default.whois_cache),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    Text,
    Json,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum OtlpProtocol {
    Grpc,
    Http,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TelemetryConfig {
    /// `tracing` filter directive, e.g. `info` or `gateway=debug,info`.
    pub log_level: String,
    pub log_format: LogFormat,
    /// OTLP collector endpoint; absent exports nothing.
    pub otlp_endpoint: Option<String>,
    pub otlp_protocol: OtlpProtocol,
    /// `service.name` resource attribute; the role is appended.
    pub service_name: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(from = "ShutdownKeys")]
pub struct ShutdownConfig {
    /// Time allowed, after SIGTERM, for in-flight work to finish.
    #[serde(serialize_with = "duration::serialize")]
    pub grace_period: Duration,
}

/// The `shutdown` keys as written, the old millisecond key included.
#[derive(Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
struct ShutdownKeys {
    grace_period: Option<DurationText>,
    grace_period_ms: Option<u64>,
}

impl From<ShutdownKeys> for ShutdownConfig {
    fn from(keys: ShutdownKeys) -> Self {
        Self {
            grace_period: pick(
                keys.grace_period,
                keys.grace_period_ms,
                Self::default().grace_period,
            ),
        }
    }
}

impl Default for Config {
    fn default() -> Self {
        Self {
            server_name: "localhost".into(),
            registration_shared_secret: None,
            registration_shared_secret_file: None,
            database: DatabaseConfig::default(),
            redis: RedisConfig::default(),
            listen: ListenConfig::default(),
            http: HttpConfig::default(),
            accounts: RoleConfig::local(9101),
            membership: RoleConfig::local(9102),
            notices: RoleConfig::local(9103),
            server_notices: ServerNoticesConfig::default(),
            trusted_proxies: Vec::new(),
            auth: AuthConfig::default(),
            telemetry: TelemetryConfig::default(),
            shutdown: ShutdownConfig::default(),
            public_base_url: None,
            cors: CorsConfig::default(),
        }
    }
}

impl Default for DatabaseConfig {
    fn default() -> Self {
        Self {
            url: "sqlite://./data/bailiff.db".into(),
            url_file: None,
            max_connections: None,
        }
    }
}

impl Default for RedisConfig {
    fn default() -> Self {
        Self {
            url: None,
            url_file: None,
            key_prefix: "bailiff".into(),
        }
    }
}

impl Default for ListenConfig {
    fn default() -> Self {
        Self {
            http: SocketAddr::from(([127, 0, 0, 1], 8008)),
            internal: Some(SocketAddr::from(([127, 0, 0, 1], 9090))),
        }
    }
}

impl RoleConfig {
    fn local(port: u16) -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], port)),
            address: format!("http://127.0.0.1:{port}"),
        }
    }
}

impl Default for RoleConfig {
    fn default() -> Self {
        Self::local(9100)
    }
}

impl Default for ServerNoticesConfig {
    fn default() -> Self {
        Self {
            enabled: true,
            local_part: "_server".into(),
            display_name: "Server Alerts".into(),
            room_name: "Server Alerts".into(),
        }
    }
}

impl Default for AuthConfig {
    fn default() -> Self {
        Self {
            token_cache_ttl: Duration::from_secs(60),
            token_cache_capacity: 100_000,
            client_ip_flush: Duration::from_millis(250),
            whois_cache: Duration::from_millis(250),
        }
    }
}

impl Default for TelemetryConfig {
    fn default() -> Self {
        Self {
            log_level: "info".into(),
            log_format: LogFormat::Text,
            otlp_endpoint: None,
            otlp_protocol: OtlpProtocol::Grpc,
            service_name: "bailiff".into(),
        }
    }
}

impl Default for ShutdownConfig {
    fn default() -> Self {
        Self {
            grace_period: Duration::from_secs(25),
        }
    }
}

impl Config {
    /// Loads defaults, then `file` (if any), then `BAILIFF_*` variables from the process
    /// environment, then resolves `*_file` secrets.
    pub fn load(file: Option<&Path>) -> Result<Self, ConfigError> {
        Self::from_figment(&Self::figment(file))
    }

    /// The layered sources, exposed so tests can add their own.
    pub fn figment(file: Option<&Path>) -> Figment {
        let mut figment = Figment::from(Serialized::defaults(Self::defaults()));
        if let Some(file) = file {
            figment = figment.merge(Yaml::file_exact(file));
        }
        // Only variables that name a key are read: Kubernetes service links
        // (`BAILIFF_GATEWAY_PORT`) and tooling variables (`BAILIFF_TEST_…`) share the
        // prefix and must not make the configuration invalid.
        figment.merge(
            Env::prefixed("BAILIFF_")
                .filter(|key| {
                    let key = key.as_str().to_ascii_lowercase();
                    key.contains("__") || TOP_LEVEL_KEYS.contains(&key.as_str())
                })
                .split("__"),
        )
    }

    /// [`Config::default`] as figment's first layer, less the duration keys: an old
    /// `*_ms` key set in the file or the environment must not lose to the default of
    /// the key that replaced it. Their defaults apply when neither key is set
    /// ([`duration::pick`]).
    fn defaults() -> Dict {
        let mut dict = match Value::serialize(Config::default()) {
            Ok(Value::Dict(_, dict)) => dict,
            // `Config` is a struct of plain fields: it always serializes to a dict.
            other => unreachable!("the defaults serialize to a dict, not {other:?}"),
        };
        for (key, _) in duration::RENAMED {
            if let Some((section, key)) = key.split_once('.')
                && let Some(Value::Dict(_, section)) = dict.get_mut(section)
            {
                section.remove(key);
            }
        }
        dict
    }

    /// Extracts and checks a configuration from any figment.
    pub fn from_figment(figment: &Figment) -> Result<Self, ConfigError> {
        let mut config: Config = figment.extract().map_err(Box::new)?;
        config.resolve_secret_files()?;
        config.check()?;
        Ok(config)
    }

    fn resolve_secret_files(&mut self) -> Result<(), ConfigError> {
        if let Some(path) = &self.registration_shared_secret_file {
            self.registration_shared_secret =
                Some(read_secret("registration_shared_secret_file", path)?);
        }
        if let Some(path) = &self.database.url_file {
            self.database.url = read_secret("database.url_file", path)?;
        }
        if let Some(path) = &self.redis.url_file {
            self.redis.url = Some(read_secret("redis.url_file", path)?);
        }
        Ok(())
    }

    fn check(&self) -> Result<(), ConfigError> {
        if self.server_name.is_empty() {
            return Err(ConfigError::Rule("server_name must not be empty".into()));
        }
        if self.registration_shared_secret.as_deref() == Some("") {
            return Err(ConfigError::Rule(
                "registration_shared_secret must not be empty (omit it to disable)".into(),
            ));
        }
        self.http.check()
    }

    /// The notices system user, `@<local_part>:<server_name>`.
    pub fn server_notices_user_id(&self) -> String {
        format!("@{}:{}", self.server_notices.local_part, self.server_name)
    }
}

/// Reads a secret file, dropping the trailing newline editors and `kubectl` add.
fn read_secret(key: &'static str, path: &Path) -> Result<String, ConfigError> {
    std::fs::read_to_string(path)
        .map(|s| s.trim_end_matches(['\n', '\r']).to_owned())
        .map_err(|source| ConfigError::SecretFile {
            key,
            path: path.to_owned(),
            source,
        })
}
