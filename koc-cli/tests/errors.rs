//! Usage and input errors: exit 2, one line naming the problem, no panic.

// Test code: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{Koc, koc};

fn run(args: &[&str]) -> common::Run {
    let output = koc().args(args).output().unwrap();
    common::Run {
        code: output.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

#[test]
fn an_unsupported_database_url_is_refused() {
    let out = run(&["--database", "mysql://root:secret@host/db", "pending"]).code(2);
    assert!(
        out.stderr.contains("unsupported scheme `mysql://`"),
        "{}",
        out.stderr
    );
    assert!(!out.stderr.contains("secret"), "{}", out.stderr);
    assert_eq!(out.stderr.lines().count(), 1, "{}", out.stderr);
}

#[test]
fn koc_database_env_is_read() {
    let output = koc()
        .env("KOC_DATABASE", "mysql://host/db")
        .arg("pending")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
}

#[test]
fn an_sqlite_file_that_cannot_be_opened_is_an_input_error() {
    let out = run(&["--database", "/nonexistent/dir/koc.sqlite", "pending"]).code(2);
    assert!(
        out.stderr
            .contains("cannot open the database /nonexistent/dir/koc.sqlite"),
        "{}",
        out.stderr
    );
    let koc = Koc::new();
    let not_koc = koc.file(
        "notes.txt",
        b"this is not a database, it is a note\n"
            .repeat(200)
            .as_slice(),
    );
    let out = run(&["--database", &common::text(&not_koc), "pending"]).code(2);
    assert!(out.stderr.contains("notes.txt"), "{}", out.stderr);
    assert_eq!(out.stderr.lines().count(), 1, "{}", out.stderr);
}

#[test]
fn an_unreachable_postgres_server_is_an_input_error() {
    // `--connect-timeout` wins over KOC_CONNECT_TIMEOUT (30 s in tests):
    // the command gives up after about a second, not half a minute.
    let started = std::time::Instant::now();
    let out = run(&[
        "--database",
        "postgres://koc@127.0.0.1:1/koc",
        "--connect-timeout",
        "1",
        "pending",
    ])
    .code(2);
    assert!(
        started.elapsed() < std::time::Duration::from_secs(25),
        "gave up after {:?}",
        started.elapsed()
    );
    assert!(
        out.stderr
            .contains("cannot open the database postgres://koc@127.0.0.1:1/koc"),
        "{}",
        out.stderr
    );
    let out = run(&[
        "--database",
        "postgres://koc@127.0.0.1:1/koc?schema=Bad-Name",
        "pending",
    ])
    .code(2);
    assert!(out.stderr.contains("schema"), "{}", out.stderr);
}

#[test]
fn usage_errors_exit_2() {
    run(&["process"]).code(2);
    run(&["process", "abc"]).code(2);
    run(&["enqueue", "x.koc"]).code(2);
    run(&["frobnicate"]).code(2);
    run(&["delete"]).code(2);
    assert_eq!(run(&["--help"]).code, 0);
}

#[test]
fn enqueue_of_a_missing_file_names_it() {
    let koc = Koc::new();
    let out = koc
        .run(&[
            "enqueue",
            "/nonexistent/desk.koc",
            "--branch",
            "CPL",
            "--user",
            "admin",
        ])
        .code(2);
    assert!(
        out.stderr.contains("cannot open /nonexistent/desk.koc"),
        "{}",
        out.stderr
    );
}
