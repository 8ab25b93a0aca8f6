#![allow(clippy::result_large_err)] // figment::Jail dictates the closure error type.

use std::time::Duration;

use super::*;
use figment::Jail;

#[test]
fn defaults_need_no_file() {
    Jail::expect_with(|_| {
        let config = Config::load(None).map_err(|e| e.to_string())?;
        assert_eq!(config.server_name, "localhost");
        assert_eq!(config.listen.http.to_string(), "127.0.0.1:8008");
        assert_eq!(config.database.url, "sqlite://./data/bailiff.db");
        assert_eq!(config.redis.url, None);
        assert_eq!(config.server_notices.local_part, "_server");
        Ok(())
    });
}

#[test]
fn pool_size_defaults_per_backend_and_honours_the_setting() {
    let mut database = DatabaseConfig::default();
    assert_eq!(database.pool_size(), 4, "SQLite default");
    database.url = "postgres://db/x".into();
    assert_eq!(database.pool_size(), 16, "PostgreSQL default");
    database.max_connections = Some(7);
    assert_eq!(database.pool_size(), 7);
    database.max_connections = Some(0);
    assert_eq!(database.pool_size(), 1, "0 counts as 1");
}

#[test]
fn file_then_environment_then_secret_files() {
    Jail::expect_with(|jail| {
        jail.create_file(
            "bailiff.yaml",
            "server_name: example.org\ndatabase:\n  url: postgres://db/x\nregistration_shared_secret_file: secret.txt\n",
        )?;
        jail.create_file("secret.txt", "hunter2\n")?;
        jail.set_env("BAILIFF_DATABASE__URL", "postgres://override/y");
        jail.set_env("BAILIFF_SERVER_NOTICES__LOCAL_PART", "notices");
        // Service links and tooling variables share the prefix and are ignored.
        jail.set_env("BAILIFF_GATEWAY_PORT", "tcp://10.0.0.1:8008");
        jail.set_env("BAILIFF_TEST_POSTGRES_URL", "postgres://elsewhere/x");
        let config = Config::load(Some(Path::new("bailiff.yaml"))).map_err(|e| e.to_string())?;
        assert_eq!(config.server_name, "example.org");
        assert_eq!(config.database.url, "postgres://override/y");
        assert_eq!(config.server_notices.local_part, "notices");
        assert_eq!(
            config.registration_shared_secret.as_deref(),
            Some("hunter2")
        );
        assert_eq!(config.server_notices_user_id(), "@notices:example.org");
        Ok(())
    });
}

#[test]
fn rejects_unknown_keys_and_bad_proxies() {
    Jail::expect_with(|jail| {
        jail.create_file("a.yaml", "sever_name: typo.org\n")?;
        assert!(Config::load(Some(Path::new("a.yaml"))).is_err());
        jail.create_file("b.yaml", "trusted_proxies: [\"10.0.0.0/40\"]\n")?;
        assert!(Config::load(Some(Path::new("b.yaml"))).is_err());
        jail.create_file("c.yaml", "trusted_proxies: [\"10.0.0.0/8\", \"::1\"]\n")?;
        let config = Config::load(Some(Path::new("c.yaml"))).map_err(|e| e.to_string())?;
        assert_eq!(config.trusted_proxies.len(), 2);
        Ok(())
    });
}

fn net(text: &str) -> IpNet {
    network::parse_network(text).unwrap_or_else(|| panic!("{text} is a network"))
}

#[test]
fn trusted_proxies_are_networks_and_bare_addresses_are_hosts() {
    Jail::expect_with(|jail| {
        jail.create_file(
            "a.yaml",
            "trusted_proxies: [\"10.0.0.0/8\", \"192.0.2.7\", \"::1\", \"2001:db8::/32\"]\n",
        )?;
        let config = Config::load(Some(Path::new("a.yaml"))).map_err(|e| e.to_string())?;
        assert_eq!(
            config.trusted_proxies,
            [
                net("10.0.0.0/8"),
                net("192.0.2.7/32"),
                net("::1/128"),
                net("2001:db8::/32")
            ]
        );
        jail.set_env("BAILIFF_TRUSTED_PROXIES", "[\"172.16.0.0/12\"]");
        let config = Config::load(Some(Path::new("a.yaml"))).map_err(|e| e.to_string())?;
        assert_eq!(config.trusted_proxies, [net("172.16.0.0/12")]);
        Ok(())
    });
}

#[test]
fn a_bad_proxy_is_named_in_the_error() {
    Jail::expect_with(|jail| {
        for bad in ["10.0.0.0/40", "10.0.0", "localhost", "::1/129"] {
            jail.create_file("a.yaml", &format!("trusted_proxies: [\"{bad}\"]\n"))?;
            let error = Config::load(Some(Path::new("a.yaml")))
                .err()
                .map(|e| e.to_string())
                .unwrap_or_default();
            assert!(error.contains("trusted_proxies"), "{bad}: {error}");
            assert!(
                error.contains(&format!("{bad:?} is not an IP address or CIDR block")),
                "{bad}: {error}"
            );
        }
        Ok(())
    });
}

#[test]
fn duration_defaults() {
    let config = Config::default();
    assert_eq!(config.auth.token_cache_ttl, Duration::from_secs(60));
    assert_eq!(config.auth.client_ip_flush, Duration::from_millis(250));
    assert_eq!(config.auth.whois_cache, Duration::from_millis(250));
    assert_eq!(config.shutdown.grace_period, Duration::from_secs(25));
    Jail::expect_with(|_| {
        assert_eq!(Config::load(None).map_err(|e| e.to_string())?, config);
        Ok(())
    });
}

#[test]
fn durations_are_humantime_text() {
    Jail::expect_with(|jail| {
        jail.create_file(
            "a.yaml",
            "auth:\n  token_cache_ttl: 90s\n  client_ip_flush: 100ms\n  whois_cache: 0\n\
             shutdown:\n  grace_period: 1m 30s\n",
        )?;
        let config = Config::load(Some(Path::new("a.yaml"))).map_err(|e| e.to_string())?;
        assert_eq!(config.auth.token_cache_ttl, Duration::from_secs(90));
        assert_eq!(config.auth.client_ip_flush, Duration::from_millis(100));
        assert_eq!(config.auth.whois_cache, Duration::ZERO);
        assert_eq!(config.shutdown.grace_period, Duration::from_secs(90));
        // Keys the file does not name keep their defaults.
        assert_eq!(config.auth.token_cache_capacity, 100_000);
        Ok(())
    });
}

#[test]
fn old_millisecond_keys_are_still_read() {
    Jail::expect_with(|jail| {
        jail.create_file(
            "a.yaml",
            "auth:\n  token_cache_ttl_ms: 5000\n  client_ip_flush_ms: 100\n  whois_cache_ms: 0\n\
             shutdown:\n  grace_period_ms: 10000\n",
        )?;
        let config = Config::load(Some(Path::new("a.yaml"))).map_err(|e| e.to_string())?;
        assert_eq!(config.auth.token_cache_ttl, Duration::from_secs(5));
        assert_eq!(config.auth.client_ip_flush, Duration::from_millis(100));
        assert_eq!(config.auth.whois_cache, Duration::ZERO);
        assert_eq!(config.shutdown.grace_period, Duration::from_secs(10));
        Ok(())
    });
}

#[test]
fn the_new_key_wins_over_the_old_one_wherever_each_is_set() {
    Jail::expect_with(|jail| {
        jail.create_file(
            "a.yaml",
            "auth:\n  token_cache_ttl: 2s\n  token_cache_ttl_ms: 9000\n  whois_cache_ms: 7\n\
             shutdown:\n  grace_period: 3s\n",
        )?;
        // Old keys in the environment: they override the file's old keys but not its new
        // ones.
        jail.set_env("BAILIFF_SHUTDOWN__GRACE_PERIOD_MS", "8000");
        jail.set_env("BAILIFF_AUTH__WHOIS_CACHE_MS", "40");
        // A new key in the environment wins over an old key in the file.
        jail.set_env("BAILIFF_AUTH__CLIENT_IP_FLUSH", "75ms");
        jail.set_env("BAILIFF_AUTH__CLIENT_IP_FLUSH_MS", "900");
        let config = Config::load(Some(Path::new("a.yaml"))).map_err(|e| e.to_string())?;
        assert_eq!(config.auth.token_cache_ttl, Duration::from_secs(2));
        assert_eq!(config.auth.whois_cache, Duration::from_millis(40));
        assert_eq!(config.auth.client_ip_flush, Duration::from_millis(75));
        assert_eq!(config.shutdown.grace_period, Duration::from_secs(3));
        Ok(())
    });
}

#[test]
fn environment_overrides_of_new_and_old_keys() {
    Jail::expect_with(|jail| {
        jail.set_env("BAILIFF_AUTH__TOKEN_CACHE_TTL", "2m");
        jail.set_env("BAILIFF_AUTH__WHOIS_CACHE", "0");
        jail.set_env("BAILIFF_SHUTDOWN__GRACE_PERIOD_MS", "12000");
        jail.set_env("BAILIFF_AUTH__CLIENT_IP_FLUSH_MS", "50");
        let config = Config::load(None).map_err(|e| e.to_string())?;
        assert_eq!(config.auth.token_cache_ttl, Duration::from_secs(120));
        assert_eq!(config.auth.whois_cache, Duration::ZERO);
        assert_eq!(config.shutdown.grace_period, Duration::from_secs(12));
        assert_eq!(config.auth.client_ip_flush, Duration::from_millis(50));
        Ok(())
    });
}

#[test]
fn a_bad_duration_is_named_in_the_error() {
    let cases = [
        (
            "auth:\n  token_cache_ttl: soon\n",
            "auth.token_cache_ttl",
            "\"soon\" is not a duration",
        ),
        (
            "auth:\n  whois_cache: 250\n",
            "auth.whois_cache",
            "250 has no unit",
        ),
        (
            "auth:\n  client_ip_flush: -1s\n",
            "auth.client_ip_flush",
            "is not a duration",
        ),
        (
            "shutdown:\n  grace_period_ms: 25s\n",
            "shutdown.grace_period_ms",
            "u64",
        ),
        (
            "shutdown:\n  grace_period_ms: -5\n",
            "shutdown.grace_period_ms",
            "u64",
        ),
    ];
    Jail::expect_with(|jail| {
        for (yaml, key, why) in cases {
            jail.create_file("a.yaml", yaml)?;
            let error = Config::load(Some(Path::new("a.yaml")))
                .err()
                .map(|e| e.to_string())
                .unwrap_or_default();
            assert!(error.contains(key), "{yaml}: {error}");
            assert!(error.contains(why), "{yaml}: {error}");
        }
        jail.create_file("a.yaml", "")?;
        jail.set_env("BAILIFF_SHUTDOWN__GRACE_PERIOD", "25");
        let error = Config::load(Some(Path::new("a.yaml")))
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        // figment names an environment key in upper case.
        assert!(
            error.to_lowercase().contains("shutdown.grace_period"),
            "{error}"
        );
        assert!(error.contains("25 has no unit"), "{error}");
        assert!(error.contains("BAILIFF_"), "{error}");
        Ok(())
    });
}

#[test]
fn durations_serialize_as_text_that_reads_back() {
    Jail::expect_with(|_| {
        let mut config = Config::default();
        config.auth.whois_cache = Duration::from_millis(1500);
        config.shutdown.grace_period = Duration::ZERO;
        let serialized = Figment::from(Serialized::defaults(&config));
        assert_eq!(
            serialized.find_value("auth.whois_cache")?.as_str(),
            Some("1s 500ms")
        );
        assert_eq!(
            Config::from_figment(&serialized).map_err(|e| e.to_string())?,
            config
        );
        Ok(())
    });
}

#[test]
fn http_limits_default_to_a_public_deployment_and_read_from_file_and_environment() {
    let defaults = HttpConfig::default();
    assert_eq!(defaults.header_read_timeout, Duration::from_secs(10));
    assert_eq!(defaults.idle_timeout, Duration::from_secs(60));
    assert_eq!(defaults.body_read_timeout, Duration::from_secs(30));
    assert_eq!(defaults.max_connections, 10_000);
    assert_eq!(defaults.max_header_bytes, 32 * 1024);
    Jail::expect_with(|jail| {
        assert_eq!(
            Config::load(None).map_err(|e| e.to_string())?.http,
            defaults
        );
        jail.create_file(
            "a.yaml",
            "http:\n  header_read_timeout: 2s\n  idle_timeout: 1m\n  max_uri_bytes: 4096\n",
        )?;
        jail.set_env("BAILIFF_HTTP__MAX_CONNECTIONS", "500");
        jail.set_env("BAILIFF_HTTP__BODY_READ_TIMEOUT", "5s");
        let http = Config::load(Some(Path::new("a.yaml")))
            .map_err(|e| e.to_string())?
            .http;
        assert_eq!(http.header_read_timeout, Duration::from_secs(2));
        assert_eq!(http.idle_timeout, Duration::from_secs(60));
        assert_eq!(http.body_read_timeout, Duration::from_secs(5));
        assert_eq!(http.max_uri_bytes, 4096);
        assert_eq!(http.max_connections, 500);
        Ok(())
    });
}

#[test]
fn http_limits_that_would_disable_the_edge_are_refused() {
    Jail::expect_with(|jail| {
        for (bad, key) in [
            ("header_read_timeout: 0", "http.header_read_timeout"),
            ("idle_timeout: 10", "idle_timeout"),
            ("max_connections: 0", "http.max_connections"),
            ("max_in_flight_requests: 0", "http.max_in_flight_requests"),
            ("max_header_bytes: 100", "http.max_header_bytes"),
            ("max_uri_bytes: 2000000", "http.max_uri_bytes"),
        ] {
            jail.create_file("a.yaml", &format!("http:\n  {bad}\n"))?;
            let error = Config::load(Some(Path::new("a.yaml")))
                .err()
                .map(|e| e.to_string())
                .unwrap_or_default();
            assert!(error.contains(key), "{bad}: {error}");
        }
        Ok(())
    });
}
