use super::*;

const MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1,
        name: "counters",
        sql: "CREATE TABLE counters (id BIGSERIAL PRIMARY KEY, name TEXT NOT NULL UNIQUE, n BIGINT NOT NULL)",
        sqlite: Some(
            "CREATE TABLE counters (id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT NOT NULL UNIQUE, n BIGINT NOT NULL)",
        ),
    },
    Migration {
        version: 2,
        name: "counters_index",
        sql: "CREATE INDEX counters_n ON counters (n)",
        sqlite: None,
    },
];

crate::test_on_both_backends!(
    migrations_apply_once_and_sql_is_portable,
    |db: Database| async move {
        migrate(&db, "demo", MIGRATIONS).await.expect("first run");
        migrate(&db, "demo", MIGRATIONS)
            .await
            .expect("second run is a no-op");
        // Another service with the same version numbers does not collide.
        migrate(
            &db,
            "other",
            &[Migration {
                version: 1,
                name: "t",
                sql: "CREATE TABLE other_t (x BIGINT)",
                sqlite: None,
            }],
        )
        .await
        .expect("other service");
        for _ in 0..2 {
            sqlx::query(
            "INSERT INTO counters (name, n) VALUES ($1, 1) ON CONFLICT (name) DO UPDATE SET n = counters.n + 1",
        )
        .bind("a")
        .execute(&db.pool)
        .await
        .expect("upsert");
        }
        let n: i64 =
            sqlx::query_scalar("UPDATE counters SET n = n + 10 WHERE name = $1 RETURNING n")
                .bind("a")
                .fetch_one(&db.pool)
                .await
                .expect("update returning");
        assert_eq!(n, 12);
        let versions: Vec<i64> =
            sqlx::query_scalar("SELECT version FROM schema_migrations ORDER BY service, version")
                .fetch_all(&db.pool)
                .await
                .expect("versions");
        assert_eq!(versions, vec![1, 2, 1]);
    }
);

#[test]
fn sqlite_urls_get_a_directory_and_create_mode() {
    let dir = tempfile::tempdir().expect("tempdir");
    let url = format!("sqlite://{}/nested/x.db", dir.path().display());
    let prepared = prepare_sqlite_url(&url).expect("prepare");
    assert!(prepared.ends_with("/nested/x.db?mode=rwc"), "{prepared}");
    assert!(dir.path().join("nested").is_dir());
    assert!(matches!(
        backend_of("mysql://x"),
        Err(ConnectError::Scheme(_))
    ));
}
