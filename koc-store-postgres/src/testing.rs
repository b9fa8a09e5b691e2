//! What the crate's own tests share: a store on a schema of its own.

use crate::{PostgresOptions, PostgresStore};

/// A store on a schema of its own (`koc_t_TAG_PID`), or `None`, said
/// loudly, without a server (`DATABASE_URL`).
pub(crate) async fn store(tag: &str) -> Option<PostgresStore> {
    let url = server_url(tag)?;
    let schema = format!("koc_t_{tag}_{}", std::process::id());
    match PostgresOptions::new(url).schema(schema).connect().await {
        Ok(store) => Some(store),
        Err(e) => panic!("connecting for {tag}: {e}"),
    }
}

/// The server's URL (`DATABASE_URL`), or `None`, said loudly.
pub(crate) fn server_url(tag: &str) -> Option<String> {
    let url = std::env::var("DATABASE_URL")
        .ok()
        .filter(|u| !u.trim().is_empty());
    if url.is_none() {
        use std::io::Write as _;
        let _ = writeln!(
            std::io::stderr(),
            "\n!!! SKIPPED: DATABASE_URL not set: {tag} needs a PostgreSQL server \
             (scripts/test always starts one).\n"
        );
    }
    url
}
