//! The PostgreSQL store runs the whole koc-core conformance suite, each
//! scenario on a fresh schema (directly and through `Arc<dyn Store>`).

mod common;

async fn fresh_store() -> Option<koc_store_postgres::PostgresStore> {
    common::fresh_store("conf").await
}

koc_core::conformance_tests!(optional fresh_store);

#[test]
fn the_suite_has_every_scenario() {
    // One test per scenario above: the macro expands them all.
    assert_eq!(koc_core::conformance::scenario_names().len(), 42);
}
