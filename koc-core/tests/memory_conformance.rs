//! The in-memory store runs the whole conformance suite.

async fn fresh_store() -> koc_core::MemoryStore {
    koc_core::MemoryStore::new()
}

koc_core::conformance_tests!(fresh_store);
