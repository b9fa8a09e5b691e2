//! `koc enqueue`, `koc pending`: uploading files and reviewing the queue.

// Test code: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{Koc, testdata, text};
use serde_json::json;

/// Enqueues the sample desk's file for CPL (by admin at desk1) and three
/// operations for FFL (by clerk), the FFL ones earlier in the day: nine
/// pending. Returns the two uploads' numbers.
fn two_libraries(koc: &Koc) -> (i64, i64) {
    let desk = koc.json(
        0,
        &[
            "enqueue",
            &text(&testdata("desktop-crlf.koc")),
            "--branch",
            "CPL",
            "--user",
            "admin",
            "--workstation",
            "desk1",
            "--json",
        ],
    );
    let ffl = koc.file(
        "ffl.koc",
        b"Version=1.0\tGenerator=test\tGeneratorVersion=1\n\
          2026-07-22 09-00-00 000\treturn\t31000000888888\n\
          2026-07-22 09-05-00 000\tissue\t23529001000487\t31000000123458\n\
          2026-07-22 09-10-00 000\tpayment\t23529001000494\t10.00\n",
    );
    let ffl = koc.json(
        0,
        &[
            "enqueue",
            &text(&ffl),
            "--branch",
            "FFL",
            "--user",
            "clerk",
            "--json",
        ],
    );
    (
        desk["upload"].as_i64().unwrap(),
        ffl["upload"].as_i64().unwrap(),
    )
}

on_both_stores! {
    enqueue_adds_then_recognises_duplicates => |koc: Koc| {
        let first = koc.enqueue("desktop-crlf.koc");
        assert_eq!(first["added"], 6);
        assert_eq!(first["duplicates"], 0);
        assert_eq!(first["rejected"], json!([]));
        assert_eq!(first["transactions"], 6);
        assert_eq!(first["file"], "desktop-crlf.koc");
        let again = koc.enqueue("desktop-crlf.koc");
        assert_eq!(again["added"], 0);
        assert_eq!(again["duplicates"], 6);
        assert_eq!(koc.json(0, &["pending", "--json"]).as_array().unwrap().len(), 6);
    };

    rejected_lines_are_reported_and_the_good_ones_queued => |koc: Koc| {
        let file = text(&testdata("messy.koc"));
        let run = koc
            .run(&["enqueue", &file, "--branch", "CPL", "--user", "admin", "--json"])
            .code(1);
        let report = run.json();
        assert_eq!(report["added"], 3);
        let lines: Vec<u64> = report["rejected"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["line"].as_u64().unwrap())
            .collect();
        assert_eq!(lines, [4, 5, 6, 7, 8, 10, 12]);
        assert_eq!(report["rejected"][0]["kind"], "unknown_command");
        assert_eq!(report["warnings"][0]["line"], 9);
        let pending = koc.json(0, &["pending", "--json"]);
        let sources: Vec<&str> = pending
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["source"].as_str().unwrap())
            .collect();
        assert_eq!(sources, ["messy.koc:2", "messy.koc:9", "messy.koc:11"]);
        // The card number was trimmed; the 5th field is the due date.
        assert_eq!(pending[0]["cardnumber"], "23529001000463");
        assert_eq!(pending[2]["due"], "2026-08-05");

        // Human output names the lines too.
        let run = koc.run(&["enqueue", &file, "--branch", "CPL", "--user", "admin"]).code(1);
        assert!(run.stdout.contains("0 added, 3 already queued or processed, 7 rejected"), "{}", run.stdout);
        assert!(run.stdout.contains("rejected line 4, byte"), "{}", run.stdout);
    };

    strict_queues_nothing_when_a_line_is_rejected => |koc: Koc| {
        let messy = text(&testdata("messy.koc"));
        let report = koc
            .run(&["enqueue", &messy, "--branch", "CPL", "--user", "admin", "--strict", "--json"])
            .code(1)
            .json();
        assert_eq!(report["added"], 0);
        assert_eq!(report["refused"], true);
        assert_eq!(report["rejected"].as_array().unwrap().len(), 7);
        assert_eq!(koc.json(0, &["pending", "--json"]), json!([]));
        // A clean file goes in as usual with --strict.
        let clean = text(&testdata("desktop-crlf.koc"));
        let report = koc
            .run(&["enqueue", &clean, "--branch", "CPL", "--user", "admin", "--strict", "--json"])
            .code(0)
            .json();
        assert_eq!(report["added"], 6);
    };

    pending_lists_the_review_columns => |koc: Koc| {
        koc.load_sample();
        two_libraries(&koc);
        let pending = koc.json(0, &["pending", "--json"]);
        let pending = pending.as_array().unwrap();
        assert_eq!(pending.len(), 9);
        // The FFL file's operations come first: they happened earlier.
        assert_eq!(pending[0]["source"], "ffl.koc:2");
        assert_eq!(pending[0]["title"], "Old Encyclopedia");
        assert_eq!(pending[1]["patron"], "María López");
        let first = &pending[3];
        assert_eq!(first["timestamp"], "2026-07-22 10:15:30.000");
        assert_eq!(first["action"], "issue");
        assert_eq!(first["cardnumber"], "23529001000463");
        assert_eq!(first["patron"], "Jane Doe");
        assert_eq!(first["barcode"], "31000000123456");
        assert_eq!(first["title"], "The Left Hand of Darkness");
        assert_eq!(first["amount"], serde_json::Value::Null);
        assert_eq!(first["branchcode"], "CPL");
        assert_eq!(first["userid"], "admin");
        assert_eq!(first["workstation"], "desk1");
        assert_eq!(first["source"], "desktop-crlf.koc:2");
        assert!(first["id"].is_i64());
        let payment = pending
            .iter()
            .find(|p| p["action"] == "payment" && p["branchcode"] == "CPL")
            .unwrap();
        assert_eq!(payment["amount"], "5.00");
        assert_eq!(payment["timestamp"], "2026-07-22 10:17:45.000");
        // In time order across uploads.
        let times: Vec<&str> = pending.iter().map(|p| p["timestamp"].as_str().unwrap()).collect();
        let mut sorted = times.clone();
        sorted.sort();
        assert_eq!(times, sorted);

        let ffl = koc.json(0, &["pending", "--branch", "FFL", "--json"]);
        assert_eq!(ffl.as_array().unwrap().len(), 3);
        assert!(ffl.as_array().unwrap().iter().all(|p| p["userid"] == "clerk"));

        let table = koc.run(&["pending"]).code(0).stdout;
        assert!(table.starts_with("9 operations pending."), "{table}");
        for column in ["TIME", "ACTION", "PATRON", "ITEM", "LIBRARY", "UPLOADER", "SOURCE"] {
            assert!(table.contains(column), "{column} in {table}");
        }
        assert!(table.contains("23529001000463 Jane Doe"), "{table}");
        assert!(table.contains("31000000123456 The Left Hand of Darkness"), "{table}");
        assert!(table.contains("desktop-crlf.koc:2"), "{table}");
    };

    pending_narrows_by_action_upload_and_limit => |koc: Koc| {
        koc.load_sample();
        let (desk_upload, ffl_upload) = two_libraries(&koc);
        assert_ne!(ffl_upload, desk_upload);
        let all = koc.json(0, &["pending", "--json"]);
        let all = all.as_array().unwrap();
        let ids = |list: &serde_json::Value| -> Vec<i64> {
            list.as_array().unwrap().iter().map(|p| p["id"].as_i64().unwrap()).collect()
        };

        let payments = koc.json(0, &["pending", "--action", "payment", "--json"]);
        let amounts: Vec<&str> = payments
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["amount"].as_str().unwrap())
            .collect();
        assert_eq!(amounts, ["10.00", "5.00"]);
        let from_ffl = koc.json(0, &["pending", "--upload", &ffl_upload.to_string(), "--json"]);
        assert_eq!(from_ffl.as_array().unwrap().len(), 3);
        assert!(from_ffl.as_array().unwrap().iter().all(|p| p["upload"] == ffl_upload));
        // The first four in processing order, as the whole list has them.
        let first = koc.json(0, &["pending", "--limit", "4", "--json"]);
        let expected: Vec<i64> = all[..4].iter().map(|p| p["id"].as_i64().unwrap()).collect();
        assert_eq!(ids(&first), expected);
        assert_eq!(koc.json(0, &["pending", "--limit", "0", "--json"]), json!([]));

        let table = koc.run(&["pending", "--limit", "2"]).code(0).stdout;
        assert!(table.starts_with("9 operations pending (the first 2 shown).\n"), "{table}");
        assert_eq!(table.lines().count(), 1 + 1 + 2, "count, header, two rows: {table}");
        let table = koc
            .run(&["pending", "--action", "return", "--upload", &ffl_upload.to_string()])
            .code(0)
            .stdout;
        assert!(
            table.starts_with(&format!("1 return operation pending from upload {ffl_upload}.\n")),
            "{table}"
        );
        // An action koc does not know is refused by name.
        let refused = koc.run(&["pending", "--action", "renew"]).code(2).stderr;
        assert!(refused.contains("renew"), "{refused}");
    };

    pending_limit_reads_past_a_page => |koc: Koc| {
        koc.load_sample();
        // 2 500 returns: more than a page (2 000) of the listing.
        let mut file = b"Version=1.0\tGenerator=test\tGeneratorVersion=1\n".to_vec();
        for n in 0..2_500 {
            file.extend_from_slice(
                format!("2026-07-22 {:02}-{:02}-{:02} 000\treturn\t3100000{n:07}\n", 9 + n / 3600, n / 60 % 60, n % 60)
                    .as_bytes(),
            );
        }
        let file = koc.file("many.koc", &file);
        koc.run(&["enqueue", &text(&file), "--branch", "CPL", "--user", "admin"]).code(0);
        let listed = koc.json(0, &["pending", "--limit", "2100", "--json"]);
        let listed = listed.as_array().unwrap();
        assert_eq!(listed.len(), 2_100);
        let ids: Vec<i64> = listed.iter().map(|p| p["id"].as_i64().unwrap()).collect();
        let mut sorted = ids.clone();
        sorted.sort();
        sorted.dedup();
        assert_eq!(sorted.len(), 2_100, "no operation twice");
        assert_eq!(koc.json(0, &["pending", "--json"]).as_array().unwrap().len(), 2_500);
    };
}
