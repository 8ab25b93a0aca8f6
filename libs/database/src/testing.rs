//! Fresh databases for tests, so runs never see each other's data.
//!
//! PostgreSQL tests use `BAILIFF_TEST_POSTGRES_URL` (default
//! `postgres://postgres@127.0.0.1:5432/postgres`) to create a uniquely named database;
//! databases left behind by runs older than two hours are dropped on the way.
//!
//! Only built for this crate's tests and with the `testing` feature, which test crates
//! enable in their `[dev-dependencies]`: production builds carry neither the fixtures
//! nor `tempfile`.

#![cfg(any(test, feature = "testing"))]

use sqlx::Connection;

use crate::{Backend, Database};

/// The server every PostgreSQL test database is created on.
pub fn postgres_admin_url() -> String {
    std::env::var("BAILIFF_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_owned())
}

/// A throw-away database. SQLite files live in a temporary directory removed on drop.
pub struct TestDatabase {
    pub url: String,
    pub backend: Backend,
    _dir: Option<tempfile::TempDir>,
}

impl TestDatabase {
    /// Creates an empty database of the given backend.
    pub async fn create(backend: Backend) -> Self {
        match backend {
            Backend::Sqlite => Self::sqlite(),
            Backend::Postgres => Self::postgres().await,
        }
    }

    pub fn sqlite() -> Self {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("temp dir: {e}"));
        let url = format!("sqlite://{}/test.db", dir.path().display());
        Self {
            url,
            backend: Backend::Sqlite,
            _dir: Some(dir),
        }
    }

    pub async fn postgres() -> Self {
        let admin_url = postgres_admin_url();
        let mut admin = sqlx::PgConnection::connect(&admin_url)
            .await
            .unwrap_or_else(|e| panic!("PostgreSQL at {admin_url} is needed for tests: {e}"));
        let now = bailiff_domain::now_ms() / 1000;
        drop_stale(&mut admin, now).await;
        let name = format!("bailiff_test_{now}_{}", uuid::Uuid::new_v4().simple());
        // The name is ours: a prefix, a timestamp and a UUID.
        sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
            .execute(&mut admin)
            .await
            .unwrap_or_else(|e| panic!("create test database: {e}"));
        let base = admin_url
            .rsplit_once('/')
            .map_or(admin_url.as_str(), |(base, _)| base);
        Self {
            url: format!("{base}/{name}"),
            backend: Backend::Postgres,
            _dir: None,
        }
    }

    /// Opens a pool on this database.
    pub async fn connect(&self) -> Database {
        Database::connect(&self.url, 8)
            .await
            .unwrap_or_else(|e| panic!("connect to test database: {e}"))
    }
}

async fn drop_stale(admin: &mut sqlx::PgConnection, now: i64) {
    let names: Vec<String> =
        sqlx::query_scalar("SELECT datname FROM pg_database WHERE datname LIKE 'bailiff_test_%'")
            .fetch_all(&mut *admin)
            .await
            .unwrap_or_default();
    for name in names {
        let created = name
            .strip_prefix("bailiff_test_")
            .and_then(|rest| rest.split('_').next())
            .and_then(|secs| secs.parse::<i64>().ok());
        let ours = name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
        if ours && created.is_some_and(|created| now - created > 2 * 3600) {
            let _ = sqlx::query(sqlx::AssertSqlSafe(format!(
                "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
            )))
            .execute(&mut *admin)
            .await;
        }
    }
}

/// Runs a store test body once against SQLite and once against PostgreSQL:
///
/// ```ignore
/// bailiff_database::test_on_both_backends!(stores_users, |db: Database| async move { … });
/// ```
#[macro_export]
macro_rules! test_on_both_backends {
    ($name:ident, $body:expr) => {
        mod $name {
            #[allow(unused_imports)]
            use super::*;

            #[tokio::test]
            async fn sqlite() {
                let test_db = $crate::testing::TestDatabase::create($crate::Backend::Sqlite).await;
                let db = test_db.connect().await;
                ($body)(db).await;
            }

            #[tokio::test]
            async fn postgres() {
                let test_db =
                    $crate::testing::TestDatabase::create($crate::Backend::Postgres).await;
                let db = test_db.connect().await;
                ($body)(db).await;
            }
        }
    };
}
