//! `koc validate`: parse only, counts, every error and warning with its line.

// Test code: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{Koc, testdata, text};
use serde_json::json;

fn validate(name: &str, code: i32) -> serde_json::Value {
    Koc::new().json(code, &["validate", &text(&testdata(name)), "--json"])
}

#[test]
fn messy_koc_gives_exact_counts_and_lines() {
    let report = validate("messy.koc", 1);
    assert_eq!(report["transactions"], 3);
    assert_eq!(
        report["by_action"],
        json!({"issue": 2, "return": 1, "payment": 0})
    );
    let errors: Vec<(u64, &str)> = report["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["line"].as_u64().unwrap(), e["kind"].as_str().unwrap()))
        .collect();
    assert_eq!(
        errors,
        [
            (4, "unknown_command"),
            (5, "missing_field"),
            (6, "invalid_timestamp"),
            (7, "amount_not_positive"),
            (8, "invalid_amount"),
            (10, "invalid_timestamp"),
            (12, "missing_field"),
        ]
    );
    for error in report["errors"].as_array().unwrap() {
        assert!(!error["message"].as_str().unwrap().is_empty());
        assert!(error["byte"].is_u64());
    }
    let warnings = report["warnings"].as_array().unwrap();
    assert_eq!(warnings.len(), 1);
    assert_eq!(warnings[0]["line"], 9);
    assert_eq!(warnings[0]["kind"], "extra_fields");
    assert!(warnings[0]["message"].as_str().unwrap().contains("extra"));
}

#[test]
fn the_shared_files_validate_as_their_readme_says() {
    let desktop = validate("desktop-crlf.koc", 0);
    assert_eq!(desktop["transactions"], 6);
    assert_eq!(
        desktop["by_action"],
        json!({"issue": 3, "return": 2, "payment": 1})
    );
    assert_eq!(desktop["errors"], json!([]));
    assert_eq!(desktop["warnings"], json!([]));

    let wiki = validate("wiki-format.koc", 0);
    assert_eq!(wiki["transactions"], 3);
    let browser = validate("browser-format.koc", 0);
    assert_eq!(browser["transactions"], 2);

    let headless = validate("no-header-no-final-newline.koc", 0);
    assert_eq!(headless["transactions"], 2);
    assert_eq!(headless["warnings"][0]["kind"], "missing_header");
    assert_eq!(headless["warnings"][0]["line"], 1);
}

#[test]
fn human_output_names_each_line() {
    let run = Koc::new()
        .run(&["validate", &text(&testdata("messy.koc"))])
        .code(1);
    assert!(
        run.stdout
            .contains("3 transactions (2 issue, 1 return, 0 payment), 7 errors, 1 warning"),
        "{}",
        run.stdout
    );
    assert!(run.stdout.contains("line 4, byte"), "{}", run.stdout);
    assert!(
        run.stdout.contains("unknown command `chekout`"),
        "{}",
        run.stdout
    );
}

#[test]
fn validate_needs_no_database() {
    let run = common::koc()
        .args(["--database", "mysql://nowhere/x", "validate"])
        .arg(testdata("desktop-crlf.koc"))
        .output()
        .unwrap();
    assert_eq!(run.status.code(), Some(0));
}

#[test]
fn an_unreadable_file_is_an_input_error() {
    let koc = Koc::new();
    let run = koc.run(&["validate", "/nonexistent/desk.koc"]).code(2);
    assert!(
        run.stderr
            .starts_with("koc: error: cannot open /nonexistent/desk.koc"),
        "{}",
        run.stderr
    );
    assert_eq!(run.stderr.lines().count(), 1);
    let run = koc.run(&["validate", &text(koc.dir.path())]).code(2);
    assert!(run.stderr.contains("is a directory"), "{}", run.stderr);
}

#[test]
fn invalid_utf8_is_reported_not_a_crash() {
    let koc = Koc::new();
    let file = koc.file(
        "cp1252.koc",
        b"Version=1.0\n2026-07-22 10-15-30 000\tissue\tM\xfcller\t31000000123456\n",
    );
    let report = koc.json(1, &["validate", &text(&file), "--json"]);
    assert_eq!(report["errors"][0]["line"], 2);
    assert_eq!(report["errors"][0]["kind"], "invalid_utf8");
}
