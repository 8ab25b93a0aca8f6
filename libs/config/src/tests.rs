#![allow(clippy::result_large_err)] // figment::Jail dictates the closure error type.

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
        assert_eq!(config.trusted_proxy_networks().len(), 2);
        Ok(())
    });
}
