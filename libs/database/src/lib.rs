//! SQL access shared by the services: one `AnyPool` code path for PostgreSQL
//! (production) and SQLite (the embedded default), a per-service migration runner, and
//! throw-away databases for tests.
//!
//! Services write portable SQL (`$1` placeholders, `BIGINT`, `TEXT`,
//! `ON CONFLICT … DO UPDATE`, `RETURNING`); where the two dialects differ a migration
//! carries one text per backend.

use std::time::Duration;

use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::{AnyPool, ConnectOptions, Executor};

mod migrate;
pub mod sql;
pub mod testing;

pub use migrate::{Migration, migrate};

/// Which database a pool talks to, for the rare statement that must differ.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Postgres,
    Sqlite,
}

impl Backend {
    /// The backend behind a connection taken from a [`Database`]'s pool, for code that
    /// holds a connection or transaction rather than the [`Database`].
    pub fn of(conn: &sqlx::AnyConnection) -> Self {
        if conn.backend_name() == "SQLite" {
            Backend::Sqlite
        } else {
            Backend::Postgres
        }
    }
}

/// A pool and the backend behind it.
#[derive(Debug, Clone)]
pub struct Database {
    pub pool: AnyPool,
    pub backend: Backend,
}

/// Why a database could not be opened.
#[derive(Debug, thiserror::Error)]
pub enum ConnectError {
    #[error("unsupported database URL {0:?}: expected sqlite:// or postgres://")]
    Scheme(String),
    #[error("cannot create the SQLite directory {path}: {source}")]
    Directory {
        path: String,
        source: std::io::Error,
    },
    #[error("cannot connect to the database: {0}")]
    Sqlx(#[from] sqlx::Error),
}

impl Database {
    /// Begins a transaction that will write. On SQLite it is `BEGIN IMMEDIATE`, which takes
    /// the write lock at once and so waits out the busy timeout behind another writer. A
    /// deferred transaction that reads first and writes later cannot wait: SQLite answers
    /// `SQLITE_BUSY` at once when two such transactions both try to upgrade (seen as a
    /// 503 when an admin change raced a client-IP flush). PostgreSQL needs nothing.
    pub async fn begin_write(&self) -> Result<sqlx::Transaction<'static, sqlx::Any>, sqlx::Error> {
        match self.backend {
            Backend::Sqlite => self.pool.begin_with("BEGIN IMMEDIATE").await,
            Backend::Postgres => self.pool.begin().await,
        }
    }

    /// Opens a pool. SQLite files (and their directory) are created when missing and use
    /// WAL with a busy timeout, so the services of one process can share a file.
    pub async fn connect(url: &str, max_connections: u32) -> Result<Self, ConnectError> {
        sqlx::any::install_default_drivers();
        let backend = backend_of(url)?;
        let url = match backend {
            Backend::Sqlite => prepare_sqlite_url(url)?,
            Backend::Postgres => url.to_owned(),
        };
        let options: AnyConnectOptions = url
            .parse::<AnyConnectOptions>()?
            .disable_statement_logging();
        let pool = AnyPoolOptions::new()
            .max_connections(max_connections.max(1))
            .acquire_timeout(Duration::from_secs(5))
            .after_connect(move |conn, _meta| {
                Box::pin(async move {
                    if backend == Backend::Sqlite {
                        // A 1 MiB page cache per connection instead of SQLite's 2 MiB:
                        // the embedded default opens one pool per service, so the
                        // default let idle caches grow to ~100 MiB of resident memory,
                        // while the OS page cache serves those reads nearly as fast.
                        conn.execute(sqlx::raw_sql(
                            "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; \
                             PRAGMA busy_timeout = 10000; PRAGMA foreign_keys = ON; \
                             PRAGMA cache_size = -1024;",
                        ))
                        .await?;
                    }
                    Ok(())
                })
            })
            .connect_with(options)
            .await?;
        Ok(Self { pool, backend })
    }

    /// True when the database answers a trivial query; used by health checks.
    pub async fn is_reachable(&self) -> bool {
        sqlx::query("SELECT 1").execute(&self.pool).await.is_ok()
    }
}

fn backend_of(url: &str) -> Result<Backend, ConnectError> {
    if url.starts_with("sqlite:") {
        Ok(Backend::Sqlite)
    } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        Ok(Backend::Postgres)
    } else {
        Err(ConnectError::Scheme(url.to_owned()))
    }
}

/// Creates the directory of a file URL and asks SQLite to create the file.
fn prepare_sqlite_url(url: &str) -> Result<String, ConnectError> {
    let rest = url.trim_start_matches("sqlite:").trim_start_matches("//");
    let (path, query) = rest.split_once('?').unwrap_or((rest, ""));
    if path != ":memory:"
        && let Some(parent) = std::path::Path::new(path).parent()
        && !parent.as_os_str().is_empty()
    {
        std::fs::create_dir_all(parent).map_err(|source| ConnectError::Directory {
            path: parent.display().to_string(),
            source,
        })?;
    }
    let query = if query.contains("mode=") {
        query.to_owned()
    } else if query.is_empty() {
        "mode=rwc".to_owned()
    } else {
        format!("{query}&mode=rwc")
    };
    Ok(format!("sqlite://{path}?{query}"))
}

/// Maps a database error to what a client may see: 503 `M_UNAVAILABLE` when the
/// database cannot be reached, 500 `M_UNKNOWN` otherwise. The detail goes to the log,
/// never to the client.
pub fn fault(error: &sqlx::Error) -> matrix_status::MatrixError {
    if is_unavailable(error) {
        tracing::warn!(error = %error, "database unavailable");
        matrix_status::MatrixError::unavailable()
    } else {
        tracing::error!(error = %error, "database error");
        matrix_status::MatrixError::internal()
    }
}

/// True for errors that mean "cannot reach the database" rather than "bad statement".
pub fn is_unavailable(error: &sqlx::Error) -> bool {
    match error {
        sqlx::Error::Io(_)
        | sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::Tls(_)
        | sqlx::Error::WorkerCrashed => true,
        sqlx::Error::Database(db) => {
            // PostgreSQL: 57P01 admin_shutdown, 57P02/57P03 crash/cannot connect now,
            // 08xxx connection exceptions. SQLite: 5/6 busy/locked.
            db.code().is_some_and(|code| {
                code.starts_with("08") || code.starts_with("57P") || code == "5" || code == "6"
            })
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests;
