//! A long processing run vacuums the open loans it ends, on a spare
//! connection, unless told never to; either way its outcomes are the same.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use koc_core::{OutcomeCode, ProcessRun, ProcessedOperation, Processor};
use koc_store_postgres::PostgresStore;

/// Copies lent and returned: each return ends an open loan.
const COPIES: usize = 300;

/// A store on a fresh schema that vacuums the loans after `after` ended.
async fn store(tag: &str, after: Option<u64>) -> Option<PostgresStore> {
    let url = common::database_url()?;
    Some(
        common::options(&url, tag)
            .vacuum_loans_after(after)
            .connect()
            .await
            .unwrap_or_else(|e| panic!("connecting to {url}: {e}")),
    )
}

/// Lends and returns `COPIES` copies (`common::busy`), and processes them.
async fn lend_and_return(store: &PostgresStore) -> (Vec<OutcomeCode>, i64) {
    common::busy::busy_queue(store, COPIES).await;
    process(store).await
}

/// Processes the queue in 50-operation batches; the outcomes and how many
/// times `loans` was vacuumed.
async fn process(store: &PostgresStore) -> (Vec<OutcomeCode>, i64) {
    let mut outcomes = Vec::new();
    let mut observer = |batch: &[ProcessedOperation]| {
        outcomes.extend(batch.iter().map(|p| p.outcome.code));
    };
    let run = ProcessRun::all("vacuum").batch_size(50);
    store.process(&run, &mut observer).await.unwrap();
    let vacuums: i64 = sqlx::query_scalar(
        "SELECT vacuum_count FROM pg_stat_user_tables WHERE relid = 'loans'::regclass",
    )
    .fetch_one(store.pool())
    .await
    .unwrap();
    (outcomes, vacuums)
}

#[tokio::test]
async fn a_long_run_vacuums_the_loans_it_ends() {
    let Some(store) = store("vacuum_on", Some(100)).await else {
        return;
    };
    let (outcomes, vacuums) = lend_and_return(&store).await;
    let count = |code| outcomes.iter().filter(|&&c| c == code).count();
    assert_eq!(count(OutcomeCode::Issued), COPIES, "{outcomes:?}");
    assert_eq!(count(OutcomeCode::Returned), COPIES, "{outcomes:?}");
    // 300 loans ended, a vacuum at least every 100 ended: the run waits
    // for the last before it ends.
    assert!(vacuums >= 1, "loans vacuumed {vacuums} times");
    store.drop_schema().await.unwrap();
}

#[tokio::test]
async fn a_run_told_never_leaves_vacuuming_to_the_host() {
    let Some(never) = store("vacuum_off", None).await else {
        return;
    };
    let Some(often) = store("vacuum_often", Some(100)).await else {
        return;
    };
    let (without, vacuums) = lend_and_return(&never).await;
    assert_eq!(vacuums, 0);
    let (with, _) = lend_and_return(&often).await;
    assert_eq!(without, with);
    never.drop_schema().await.unwrap();
    often.drop_schema().await.unwrap();
}

/// Says loudly, past the test harness's capture, that a test did not run.
fn skipped(why: &str) {
    use std::io::Write as _;
    let _ = writeln!(std::io::stderr(), "\n!!! SKIPPED: {why}\n");
}

/// A URL for the server of `url` as `role`, without a password; `None`
/// for a URL without a user part.
fn as_role(url: &str, role: &str) -> Option<String> {
    let (scheme, rest) = url.split_once("://")?;
    let (_, host) = rest.split_once('@')?;
    Some(format!("{scheme}://{role}@{host}"))
}

#[tokio::test]
async fn a_role_that_does_not_own_the_loans_processes_without_vacuuming() {
    let Some(owner) = store("vacuum_owner", Some(100)).await else {
        return;
    };
    let url = common::database_url().unwrap();
    let schema = owner.schema().to_owned();
    let role = format!("{schema}_clerk");
    common::busy::busy_queue(&owner, COPIES).await;
    // A role that may read and write the tables, but owns none of them
    // and may create nothing in the database.
    let grants = [
        format!("CREATE ROLE {role} LOGIN"),
        format!("GRANT USAGE ON SCHEMA {schema} TO {role}"),
        format!("GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA {schema} TO {role}"),
        format!("GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA {schema} TO {role}"),
    ];
    for grant in &grants {
        if let Err(e) = sqlx::raw_sql(sqlx::AssertSqlSafe(grant.as_str()))
            .execute(owner.pool())
            .await
        {
            skipped(&format!(
                "this server's user cannot make a role ({grant}: {e})"
            ));
            let _ = sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
                "DROP OWNED BY {role}; DROP ROLE {role}"
            )))
            .execute(owner.pool())
            .await;
            owner.drop_schema().await.unwrap();
            return;
        }
    }
    // Skipped only when the role cannot log in (a server that asks for
    // passwords); opening the store as it must work.
    let login = match as_role(&url, &role) {
        Some(clerk_url) => match sqlx::PgPool::connect(&clerk_url).await {
            Ok(pool) => {
                pool.close().await;
                Ok(clerk_url)
            }
            Err(e) => Err(e.to_string()),
        },
        None => Err(format!("no user part in {url}")),
    };
    let result = match login {
        Ok(clerk_url) => {
            let clerk = common::options(&clerk_url, "unused")
                .schema(schema.clone())
                .vacuum_loans_after(Some(100))
                .connect()
                .await
                .unwrap_or_else(|e| panic!("opening the store as {role}: {e}"));
            let result = process(&clerk).await;
            clerk.close().await;
            Some(result)
        }
        Err(e) => {
            skipped(&format!("cannot log in as a role of its own ({e})"));
            None
        }
    };
    let drop = format!("DROP OWNED BY {role}; DROP ROLE {role}");
    owner.drop_schema().await.unwrap();
    let cleanup = sqlx::PgPool::connect(&url).await.unwrap();
    sqlx::raw_sql(sqlx::AssertSqlSafe(drop))
        .execute(&cleanup)
        .await
        .unwrap();
    let Some((outcomes, vacuums)) = result else {
        return;
    };
    let count = |code| outcomes.iter().filter(|&&c| c == code).count();
    assert_eq!(count(OutcomeCode::Issued), COPIES, "{outcomes:?}");
    assert_eq!(count(OutcomeCode::Returned), COPIES, "{outcomes:?}");
    // The server refused each vacuum with a warning; the run went on.
    assert_eq!(vacuums, 0);
}
