//! A small migration runner that lets several services share one database file (the
//! embedded default) without their version numbers colliding: applied migrations are
//! recorded per service in `schema_migrations`.

use sqlx::Executor;

use bailiff_domain::now_ms;

use crate::{Backend, Database};

/// One schema step. Most steps have one text for both backends; `sqlite` overrides it
/// where the dialects differ (e.g. auto-increment keys).
#[derive(Debug, Clone, Copy)]
pub struct Migration {
    pub version: i64,
    pub name: &'static str,
    pub sql: &'static str,
    pub sqlite: Option<&'static str>,
}

/// Applies the service's pending migrations in order, each in its own transaction.
/// On PostgreSQL an advisory lock keeps replicas that start together from racing.
pub async fn migrate(
    db: &Database,
    service: &str,
    migrations: &[Migration],
) -> Result<(), sqlx::Error> {
    let mut conn = db.pool.acquire().await?;
    conn.execute(
        "CREATE TABLE IF NOT EXISTS schema_migrations (
            service TEXT NOT NULL,
            version BIGINT NOT NULL,
            name TEXT NOT NULL,
            applied_ts BIGINT NOT NULL,
            PRIMARY KEY (service, version)
        )",
    )
    .await?;
    if db.backend == Backend::Postgres {
        sqlx::query("SELECT pg_advisory_lock(7261102)")
            .execute(&mut *conn)
            .await?;
    }
    let result = apply_pending(&mut conn, db.backend, service, migrations).await;
    if db.backend == Backend::Postgres {
        sqlx::query("SELECT pg_advisory_unlock(7261102)")
            .execute(&mut *conn)
            .await?;
    }
    result
}

async fn apply_pending(
    conn: &mut sqlx::AnyConnection,
    backend: Backend,
    service: &str,
    migrations: &[Migration],
) -> Result<(), sqlx::Error> {
    let applied: Vec<i64> =
        sqlx::query_scalar("SELECT version FROM schema_migrations WHERE service = $1")
            .bind(service)
            .fetch_all(&mut *conn)
            .await?;
    for migration in migrations {
        if applied.contains(&migration.version) {
            continue;
        }
        let sql = match (backend, migration.sqlite) {
            (Backend::Sqlite, Some(sqlite)) => sqlite,
            _ => migration.sql,
        };
        tracing::info!(
            service,
            version = migration.version,
            name = migration.name,
            "applying migration"
        );
        let mut tx = sqlx::Connection::begin(&mut *conn).await?;
        tx.execute(sqlx::raw_sql(sql)).await?;
        sqlx::query(
            "INSERT INTO schema_migrations (service, version, name, applied_ts) VALUES ($1, $2, $3, $4)",
        )
        .bind(service)
        .bind(migration.version)
        .bind(migration.name)
        .bind(now_ms())
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
    }
    Ok(())
}
