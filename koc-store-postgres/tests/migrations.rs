//! Connecting: a new schema is made, a known one is reused, one made by a
//! newer koc or by something else is refused.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use koc_core::conformance::fixtures;
use koc_core::{Error, PendingFilter, Queue};
use koc_store_postgres::{PostgresOptions, PostgresStore, SCHEMA_VERSION};

async fn versions(store: &PostgresStore) -> Vec<i64> {
    sqlx::query_scalar("SELECT version FROM koc_migrations ORDER BY version")
        .fetch_all(store.pool())
        .await
        .unwrap()
}

#[tokio::test]
async fn a_new_schema_is_made_and_a_known_one_reused() {
    let Some(url) = common::database_url() else {
        return;
    };
    let options = common::options(&url, "mig");
    let store = options.clone().connect().await.unwrap();
    assert_eq!(
        versions(&store).await,
        (1..=SCHEMA_VERSION).collect::<Vec<_>>()
    );
    store
        .enqueue(
            None,
            &[fixtures::checkin("2026-07-22 10:00:00", "39000000000001")],
        )
        .await
        .unwrap();
    store.close().await;

    let again = options.connect().await.unwrap();
    assert_eq!(
        versions(&again).await,
        (1..=SCHEMA_VERSION).collect::<Vec<_>>()
    );
    assert_eq!(again.count_pending(&PendingFilter::all()).await.unwrap(), 1);
    again.drop_schema().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn processes_connecting_at_once_migrate_once() {
    let Some(url) = common::database_url() else {
        return;
    };
    let options = common::options(&url, "race");
    let connects: Vec<_> = (0..4)
        .map(|_| tokio::spawn(options.clone().connect()))
        .collect();
    let mut stores = Vec::new();
    for connect in connects {
        stores.push(connect.await.unwrap().unwrap());
    }
    assert_eq!(
        versions(&stores[0]).await,
        (1..=SCHEMA_VERSION).collect::<Vec<_>>()
    );
    stores.pop().unwrap().drop_schema().await.unwrap();
}

#[tokio::test]
async fn a_schema_of_a_newer_koc_is_refused() {
    let Some(url) = common::database_url() else {
        return;
    };
    let options = common::options(&url, "new");
    let store = options.clone().connect().await.unwrap();
    sqlx::query("INSERT INTO koc_migrations (version, description) VALUES ($1, 'from the future')")
        .bind(SCHEMA_VERSION + 1)
        .execute(store.pool())
        .await
        .unwrap();
    let error = options.connect().await.unwrap_err();
    assert!(
        matches!(error, Error::SchemaTooNew { found, supported }
            if found == SCHEMA_VERSION + 1 && supported == SCHEMA_VERSION),
        "{error}"
    );
    store.drop_schema().await.unwrap();
}

#[tokio::test]
async fn a_schema_of_something_else_is_refused() {
    let Some(url) = common::database_url() else {
        return;
    };
    let schema = common::unique_schema("other");
    let admin = sqlx::PgPool::connect(&url).await.unwrap();
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
        "CREATE SCHEMA {schema}; CREATE TABLE {schema}.borrowers (borrowernumber int)"
    )))
    .execute(&admin)
    .await
    .unwrap();
    let error = PostgresOptions::new(&url)
        .schema(&schema)
        .connect()
        .await
        .unwrap_err();
    assert!(matches!(error, Error::NotKocDatabase(_)), "{error}");
    assert!(error.to_string().contains(&schema), "{error}");
    // Nothing was added to it.
    let tables: i64 = sqlx::query_scalar("SELECT count(*) FROM pg_tables WHERE schemaname = $1")
        .bind(&schema)
        .fetch_one(&admin)
        .await
        .unwrap();
    assert_eq!(tables, 1);
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!("DROP SCHEMA {schema} CASCADE")))
        .execute(&admin)
        .await
        .unwrap();
}

#[tokio::test]
async fn bad_options_and_unreachable_servers_are_errors() {
    let error = PostgresOptions::new("postgres://127.0.0.1:1/koc")
        .schema("Robert'); DROP TABLE students;--")
        .connect()
        .await
        .unwrap_err();
    assert!(matches!(error, Error::Invalid(_)), "{error}");
    let error = PostgresStore::connect("mysql://localhost/koc")
        .await
        .unwrap_err();
    assert!(matches!(error, Error::Invalid(_)), "{error}");
    // Port 1 on loopback: nothing listens there.
    let error = PostgresOptions::new("postgres://koc@127.0.0.1:1/koc")
        .acquire_timeout(std::time::Duration::from_secs(5))
        .connect()
        .await
        .unwrap_err();
    assert!(matches!(error, Error::Database { .. }), "{error}");
}
