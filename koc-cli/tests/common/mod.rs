//! Running the real `koc` binary against a fresh database.
//!
//! Each test gets its own database: an SQLite file in a temporary directory,
//! or, for [`Backend::Postgres`], its own schema on the server of
//! `DATABASE_URL` (passed with koc's `?schema=` URL parameter), dropped
//! when the test ends.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::atomic::{AtomicU32, Ordering};

use serde_json::Value;

/// The shared test files.
pub fn testdata(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join("testdata")
        .join(name)
}

/// A path as text, for an argument.
pub fn text(path: &Path) -> String {
    path.display().to_string()
}

/// Which store a test runs against.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    /// An SQLite file.
    Sqlite,
    /// A fresh schema on `DATABASE_URL`.
    Postgres,
}

/// What a run of `koc` gave.
#[derive(Debug)]
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    fn from(output: Output) -> Run {
        Run {
            code: output.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        }
    }

    /// Standard output as JSON.
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.stdout).unwrap_or_else(|e| {
            panic!(
                "stdout is not JSON ({e}):\n{}\nstderr:\n{}",
                self.stdout, self.stderr
            )
        })
    }

    /// Asserts the exit code, showing the output when it differs.
    pub fn code(self, code: i32) -> Run {
        assert_eq!(
            self.code, code,
            "exit code {} instead of {code}\nstdout:\n{}\nstderr:\n{}",
            self.code, self.stdout, self.stderr
        );
        assert!(
            !self.stderr.contains("panicked") && !self.stderr.contains("RUST_BACKTRACE"),
            "a panic:\n{}",
            self.stderr
        );
        self
    }
}

static SCHEMAS: AtomicU32 = AtomicU32::new(0);

/// A fresh database and a temporary directory for files.
pub struct Koc {
    pub dir: tempfile::TempDir,
    pub database: String,
    postgres: Option<(String, String)>,
}

impl Koc {
    /// A fresh SQLite database.
    pub fn new() -> Koc {
        let dir = tempfile::tempdir().unwrap();
        let database = dir.path().join("koc.sqlite").display().to_string();
        Koc {
            dir,
            database,
            postgres: None,
        }
    }

    /// A fresh database on `backend`; `None` (after saying so loudly) for
    /// PostgreSQL when `DATABASE_URL` is not set.
    pub fn on(backend: Backend, test: &str) -> Option<Koc> {
        match backend {
            Backend::Sqlite => Some(Koc::new()),
            Backend::Postgres => {
                let Ok(url) = std::env::var("DATABASE_URL") else {
                    eprintln!(
                        "SKIPPED {test} on PostgreSQL: DATABASE_URL is not set (scripts/test sets it; \
                         or eval \"$(scripts/pg-start)\")"
                    );
                    return None;
                };
                let schema = format!(
                    "koc_cli_{}_{}_{}",
                    test.replace(|c: char| !c.is_ascii_alphanumeric(), "_")
                        .to_lowercase()
                        .chars()
                        .take(30)
                        .collect::<String>(),
                    std::process::id(),
                    SCHEMAS.fetch_add(1, Ordering::Relaxed)
                );
                let separator = if url.contains('?') { '&' } else { '?' };
                let mut koc = Koc::new();
                koc.database = format!("{url}{separator}schema={schema}");
                koc.postgres = Some((url, schema));
                Some(koc)
            }
        }
    }

    /// A path in the test's directory.
    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// Writes a file in the test's directory and returns its path.
    pub fn file(&self, name: &str, contents: &[u8]) -> PathBuf {
        let path = self.path(name);
        std::fs::write(&path, contents).unwrap();
        path
    }

    /// `koc --database DB ARGS...`, with no terminal and a fixed user.
    pub fn run<S: AsRef<std::ffi::OsStr>>(&self, args: &[S]) -> Run {
        let output = koc()
            .arg("--database")
            .arg(&self.database)
            .args(args)
            .output()
            .unwrap();
        Run::from(output)
    }

    /// Runs and parses standard output as JSON, asserting the exit code.
    pub fn json<S: AsRef<std::ffi::OsStr>>(&self, code: i32, args: &[S]) -> Value {
        self.run(args).code(code).json()
    }

    /// Loads the sample library (the CSVs of testdata/).
    pub fn load_sample(&self) {
        for kind in ["patrons", "items", "loans", "fines", "holds", "rules"] {
            let file = testdata(&format!("{kind}.csv"));
            self.run(&["load", kind, &text(&file)]).code(0);
        }
    }

    /// Enqueues a file of testdata/ for CPL by admin.
    pub fn enqueue(&self, name: &str) -> Value {
        let file = text(&testdata(name));
        self.run(&[
            "enqueue", &file, "--branch", "CPL", "--user", "admin", "--json",
        ])
        .json()
    }
}

impl Drop for Koc {
    fn drop(&mut self) {
        let Some((url, schema)) = self.postgres.take() else {
            return;
        };
        let Ok(runtime) = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
        else {
            return;
        };
        runtime.block_on(async move {
            if let Ok(store) = koc_store_postgres::PostgresOptions::new(url)
                .schema(schema)
                .connect()
                .await
            {
                let _ = store.drop_schema().await;
            }
        });
    }
}

/// The binary under test, with a fixed staff user and no inherited database.
pub fn koc() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_koc"));
    command
        .env_remove("KOC_DATABASE")
        .env("KOC_USER", "tester")
        // A loaded machine may make the test server slow to answer: that
        // is not what these tests are about.
        .env("KOC_CONNECT_TIMEOUT", "30")
        .env("RUST_BACKTRACE", "0");
    command
}

/// Runs a test body on SQLite and, when `DATABASE_URL` is set, PostgreSQL.
#[macro_export]
macro_rules! on_both_stores {
    ($($name:ident => $body:expr;)*) => {
        mod sqlite {
            use super::*;
            $(
                #[test]
                fn $name() {
                    let koc = common::Koc::on(common::Backend::Sqlite, stringify!($name)).unwrap();
                    ($body)(koc);
                }
            )*
        }
        mod postgres {
            use super::*;
            $(
                #[test]
                fn $name() {
                    if let Some(koc) = common::Koc::on(common::Backend::Postgres, stringify!($name)) {
                        ($body)(koc);
                    }
                }
            )*
        }
    };
}
