//! `koc demo`: the README's "run the main job" command.

// Test code: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{Koc, koc, text};

#[test]
fn demo_runs_the_whole_workflow_in_a_temporary_place() {
    let output = koc().arg("demo").output().unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "{stdout}\n{stderr}");
    for expected in [
        "$ koc load patrons",
        "9 transactions (5 issue, 3 return, 1 payment), 0 errors, 0 warnings.",
        "9 added, 0 already queued or processed, 0 rejected.",
        "9 operations pending.",
        "Processed 9 operations: 5 issued, 2 returned, 1 payment_recorded, 1 item_not_found. 1 failed, 3 with warnings.",
        "\"A Brief History of Time\" came back.",
        "Returned 7 days late",
        "Jane Doe paid 5.00.",
        "John Smith borrowed \"A Brief History of Time\".",
        "is filled by this loan",
        "restricted until 2026-12-31",
        "Jane Doe now owes 0.50",
        "0 added, 9 already queued or processed",
        "Item not found.",
    ] {
        assert!(
            stdout.contains(expected),
            "missing {expected:?} in:\n{stdout}"
        );
    }
    assert!(stderr.is_empty(), "{stderr}");
}

#[test]
fn demo_dir_keeps_a_database_to_explore() {
    let place = Koc::new();
    let dir = place.path("demo");
    koc().args(["demo", "--dir"]).arg(&dir).output().unwrap();
    let database = dir.join("koc.sqlite");
    assert!(database.exists());
    assert!(dir.join("demo.koc").exists());
    assert!(dir.join("patrons.csv").exists());
    let output = koc()
        .args(["--database", &text(&database), "history", "--json"])
        .output()
        .unwrap();
    let history: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(history.as_array().unwrap().len(), 9);
    // Not over an existing database.
    let again = koc().args(["demo", "--dir"]).arg(&dir).output().unwrap();
    assert_eq!(again.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&again.stderr).contains("exists already"));
}
