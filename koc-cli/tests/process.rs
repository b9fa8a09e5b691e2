//! `koc process`, `apply`, `delete`, `history`, `requeue`: on SQLite, and on
//! PostgreSQL when `DATABASE_URL` is set.
//!
//! What `desktop-crlf.koc` must give against the sample library, line by
//! line (operation ids follow the lines):
//!
//! | id | line | operation | outcome | why |
//! |---|---|---|---|---|
//! | 1 | 2 | issue, Jane Doe, The Left Hand of Darkness | issued | |
//! | 2 | 3 | issue, Jane Doe, Middlemarch | issued | |
//! | 3 | 4 | return, A Brief History of Time | returned, `returned_overdue` | María López's loan from before the outage, due 15 July |
//! | 4 | 5 | payment 5.00, Jane Doe | payment_recorded | pays the 3.50 fine and 1.50 of the 2.00 one: 0.50 left |
//! | 5 | 6 | issue, John Smith, A Brief History of Time | issued | lent again after its return |
//! | 6 | 7 | return, Middlemarch | returned | |

// Test code: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{Koc, testdata, text};
use serde_json::{Value, json};

/// `(id, action, outcome, warnings)` of each result.
fn outcomes(report: &Value) -> Vec<(i64, String, String, Vec<String>)> {
    report["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["id"].as_i64().unwrap(),
                r["action"].as_str().unwrap().to_owned(),
                r["outcome"].as_str().unwrap().to_owned(),
                r["warnings"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|w| w.as_str().unwrap().to_owned())
                    .collect(),
            )
        })
        .collect()
}

fn expected_desktop(first_id: i64) -> Vec<(i64, String, String, Vec<String>)> {
    [
        ("issue", "issued", vec![]),
        ("issue", "issued", vec![]),
        ("return", "returned", vec!["returned_overdue"]),
        ("payment", "payment_recorded", vec![]),
        ("issue", "issued", vec![]),
        ("return", "returned", vec![]),
    ]
    .into_iter()
    .enumerate()
    .map(|(i, (action, outcome, warnings))| {
        (
            first_id + i as i64,
            action.to_owned(),
            outcome.to_owned(),
            warnings.into_iter().map(str::to_owned).collect(),
        )
    })
    .collect()
}

fn pending_ids(koc: &Koc) -> Vec<i64> {
    koc.json(0, &["pending", "--json"])
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["id"].as_i64().unwrap())
        .collect()
}

fn first_pending_id(koc: &Koc) -> i64 {
    pending_ids(koc)[0]
}

/// The state after desktop-crlf.koc: Jane Doe owes 0.50, the two loans.
fn assert_desktop_applied(koc: &Koc) {
    assert_eq!(
        koc.json(0, &["patron", "jdoe", "--json"])["balance"],
        "0.50"
    );
    let loans = koc.json(0, &["loans", "--json"]);
    let loans: Vec<(&str, &str, &str)> = loans
        .as_array()
        .unwrap()
        .iter()
        .map(|l| {
            (
                l["barcode"].as_str().unwrap(),
                l["cardnumber"].as_str().unwrap(),
                l["issued_at"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        loans,
        [
            ("31000000123456", "23529001000463", "2026-07-22 10:15:30"),
            ("31000000654321", "23529001000470", "2026-07-22 11:02:13"),
        ]
    );
}

on_both_stores! {
    process_all_applies_desktop_crlf_line_by_line => |koc: Koc| {
        koc.load_sample();
        koc.enqueue("desktop-crlf.koc");
        let first = first_pending_id(&koc);
        let report = koc.json(0, &["process", "--all", "--user", "admin", "--json"]);
        assert_eq!(report["processed"], 6);
        assert_eq!(outcomes(&report), expected_desktop(first));
        assert_eq!(report["failed"], 0);
        assert_eq!(report["dry_run"], false);
        assert_eq!(report["outcomes"], json!({"issued": 3, "returned": 2, "payment_recorded": 1}));
        let overdue = &report["results"][2];
        assert_eq!(overdue["timestamp"], "2026-07-22 10:16:02.000");
        assert_eq!(overdue["message"], "Success.");
        assert!(overdue["warning_messages"][0].as_str().unwrap().contains("7 days late"));
        assert_eq!(report["results"][3]["amount"], "5.00");
        assert_eq!(koc.json(0, &["pending", "--json"]), json!([]));
        assert_desktop_applied(&koc);
        let history = koc.json(0, &["history", "--json"]);
        assert_eq!(history.as_array().unwrap().len(), 6);
        assert!(history.as_array().unwrap().iter().all(|h| h["by"] == "admin"));
        // Processing again finds nothing to do.
        let again = koc.json(0, &["process", "--all", "--json"]);
        assert_eq!(again["processed"], 0);
    };

    human_process_output_has_a_row_per_operation_and_totals => |koc: Koc| {
        koc.load_sample();
        koc.enqueue("desktop-crlf.koc");
        let out = koc.run(&["process", "--all"]).code(0).stdout;
        assert!(out.contains("OUTCOME"), "{out}");
        assert_eq!(out.matches("issued").count(), 3 + 1, "{out}");
        assert!(out.contains("! returned_overdue: Returned 7 days late"), "{out}");
        assert!(
            out.contains("Processed 6 operations: 3 issued, 2 returned, 1 payment_recorded. 0 failed, 1 with warnings."),
            "{out}"
        );
        // Recorded as the default user.
        let history = koc.json(0, &["history", "--json"]);
        assert_eq!(history[0]["by"], "tester");
    };

    dry_run_reports_and_changes_nothing => |koc: Koc| {
        koc.load_sample();
        koc.enqueue("desktop-crlf.koc");
        let first = first_pending_id(&koc);
        let report = koc.json(0, &["process", "--all", "--dry-run", "--json"]);
        assert_eq!(report["dry_run"], true);
        assert_eq!(outcomes(&report), expected_desktop(first));
        assert_eq!(pending_ids(&koc).len(), 6);
        assert_eq!(koc.json(0, &["patron", "jdoe", "--json"])["balance"], "5.50");
        assert_eq!(koc.json(0, &["loans", "--json"]).as_array().unwrap().len(), 1);
        assert_eq!(koc.json(0, &["history", "--json"]), json!([]));
        let out = koc.run(&["process", "--all", "--dry-run"]).code(0).stdout;
        assert!(out.contains("Dry run, nothing changed: would process 6 operations"), "{out}");
    };

    failures_exit_1_and_can_be_requeued => |koc: Koc| {
        koc.load_sample();
        let file = koc.file(
            "bad.koc",
            b"Version=1.0\tGenerator=test\tGeneratorVersion=1\n\
              2026-07-22 09-00-00 000\treturn\t31000000999999\n\
              2026-07-22 09-01-00 000\tissue\t00000000\t31000000123456\n\
              2026-07-22 09-02-00 000\treturn\t31000000123457\n\
              2026-07-22 09-03-00 000\tpayment\t23529001000463\t1.00\n",
        );
        koc.run(&["enqueue", &text(&file), "--branch", "CPL", "--user", "admin"]).code(0);
        let ids = pending_ids(&koc);
        let report = koc.json(1, &["process", "--all", "--json"]);
        let got: Vec<(String, String)> = outcomes(&report)
            .into_iter()
            .map(|(_, action, outcome, _)| (action, outcome))
            .collect();
        assert_eq!(
            got,
            [
                ("return".into(), "item_not_found".into()),
                ("issue".into(), "patron_not_found".into()),
                ("return".into(), "not_issued".into()),
                ("payment".into(), "payment_recorded".into()),
            ]
        );
        assert_eq!(report["failed"], 3);
        assert_eq!(report["results"][0]["message"], "Item not found.");
        assert_eq!(report["results"][1]["message"], "Borrower not found.");
        assert_eq!(report["results"][2]["message"], "Item not issued.");

        let failed = koc.json(0, &["history", "--failed", "--json"]);
        let mut failed_ids: Vec<i64> = failed.as_array().unwrap().iter().map(|h| h["id"].as_i64().unwrap()).collect();
        failed_ids.sort();
        assert_eq!(failed_ids, ids[..3]);

        // Put the unknown patron's issue back after "fixing" the patron data.
        let patrons = koc.file("more.csv", b"cardnumber,surname\n00000000,Newcomer\n");
        koc.run(&["load", "patrons", &text(&patrons)]).code(0);
        let requeued = koc.json(0, &["requeue", &ids[1].to_string(), "--json"]);
        assert_eq!(requeued, json!({"requeued": [ids[1]], "refused": []}));
        assert_eq!(pending_ids(&koc), [ids[1]]);
        let report = koc.json(0, &["process", &ids[1].to_string(), "--json"]);
        assert_eq!(report["results"][0]["outcome"], "issued");
        // The applied payment cannot be requeued; nor an unknown id.
        let refused = koc
            .run(&["requeue", &ids[3].to_string(), "424242", "--json"])
            .code(1)
            .json();
        assert_eq!(
            refused["refused"],
            json!([{"id": ids[3], "reason": "applied"}, {"id": 424242, "reason": "not_found"}])
        );
        // Ids that are not pending make exit 1 too.
        let report = koc.json(1, &["process", "424242", "--json"]);
        assert_eq!(report["not_pending"], json!([424242]));
        assert_eq!(report["processed"], 0);
    };

    delete_history_requeue => |koc: Koc| {
        koc.load_sample();
        koc.enqueue("desktop-crlf.koc");
        let ids = pending_ids(&koc);
        let deleted = koc.json(0, &[
            "delete",
            &ids[0].to_string(),
            &ids[1].to_string(),
            "--user",
            "clerk",
            "--json",
        ]);
        assert_eq!(deleted, json!({"deleted": [ids[0], ids[1]], "not_pending": []}));
        assert_eq!(pending_ids(&koc), ids[2..]);
        let history = koc.json(0, &["history", "--json"]);
        let history = history.as_array().unwrap();
        assert_eq!(history.len(), 2);
        for entry in history {
            assert_eq!(entry["outcome"], "deleted");
            assert_eq!(entry["message"], "Deleted.");
            assert_eq!(entry["by"], "clerk");
            assert_eq!(entry["requeued_at"], Value::Null);
        }
        // Deleted operations count as not applied: --failed lists failures only.
        assert_eq!(koc.json(0, &["history", "--failed", "--json"]), json!([]));
        // Deleting again: not pending, exit 1.
        let again = koc.run(&["delete", &ids[0].to_string(), "--json"]).code(1).json();
        assert_eq!(again["not_pending"], json!([ids[0]]));
        // Requeue one deleted operation: it is pending again with its id.
        koc.json(0, &["requeue", &ids[0].to_string(), "--json"]);
        assert_eq!(pending_ids(&koc)[0], ids[0]);
        let history = koc.json(0, &["history", "--json"]);
        assert!(history.as_array().unwrap().iter().any(|h| h["id"] == ids[0] && h["requeued_at"].is_string()));
        let again = koc.run(&["requeue", &ids[0].to_string(), "--json"]).code(1).json();
        assert_eq!(again["refused"], json!([{"id": ids[0], "reason": "already_pending"}]));
        let human = koc.run(&["history"]).code(0).stdout;
        assert!(human.contains("deleted"), "{human}");
        assert!(human.contains("clerk"), "{human}");

        // One operation's entries: deleted and requeued, then issued.
        koc.json(0, &["process", &ids[0].to_string(), "--user", "admin", "--json"]);
        let of_one = koc.json(0, &["history", "--operation", &ids[0].to_string(), "--json"]);
        let got: Vec<(i64, String, String, bool)> = of_one
            .as_array()
            .unwrap()
            .iter()
            .map(|h| {
                (
                    h["id"].as_i64().unwrap(),
                    h["outcome"].as_str().unwrap().to_owned(),
                    h["by"].as_str().unwrap().to_owned(),
                    h["requeued_at"].is_string(),
                )
            })
            .collect();
        assert_eq!(
            got,
            [
                (ids[0], "issued".to_owned(), "admin".to_owned(), false),
                (ids[0], "deleted".to_owned(), "clerk".to_owned(), true),
            ]
        );
        let of_other = koc.json(0, &["history", "--operation", &ids[1].to_string(), "--json"]);
        assert_eq!(of_other.as_array().unwrap().len(), 1);
        assert_eq!(of_other[0]["outcome"], "deleted");
        let human = koc.run(&["history", "--operation", &ids[0].to_string()]).code(0).stdout;
        assert!(human.starts_with("2 history entries."), "{human}");
        assert_eq!(
            koc.json(0, &["history", "--operation", "424242", "--json"]),
            json!([])
        );
    };

    process_selected_ids_and_branch => |koc: Koc| {
        koc.load_sample();
        koc.enqueue("desktop-crlf.koc");
        let other = koc.file(
            "ffl.koc",
            b"Version=1.0\tGenerator=test\tGeneratorVersion=1\n\
              2026-07-22 09-00-00 000\tpayment\t23529001000494\t10.00\n",
        );
        koc.run(&["enqueue", &text(&other), "--branch", "FFL", "--user", "clerk"]).code(0);
        let ids = pending_ids(&koc);
        // Only FFL's payment.
        let report = koc.json(0, &["process", "--all", "--branch", "FFL", "--json"]);
        assert_eq!(outcomes(&report), [(ids[0], "payment".into(), "payment_recorded".into(), vec![])]);
        assert_eq!(koc.json(0, &["patron", "kchen", "--json"])["balance"], "30.00");
        // Only the second issue (Middlemarch): the later return of it stays pending.
        let report = koc.json(0, &["process", &ids[2].to_string(), "--json"]);
        assert_eq!(report["processed"], 1);
        assert_eq!(report["results"][0]["barcode"], "31000000123457");
        assert_eq!(pending_ids(&koc).len(), 5);
    };

    conflicts_newer_activity_wins_unless_koha_compatible => |koc: Koc| {
        koc.load_sample();
        // Lent again once the system was back, the day after the outage.
        let later = koc.file(
            "later.csv",
            b"barcode,cardnumber,issued_at,due_at\n\
              31000000123456,23529001000470,2026-07-23 10:00:00,2026-08-06 23:59:00\n",
        );
        koc.run(&["load", "loans", &text(&later)]).code(0);
        let file = koc.file(
            "late.koc",
            b"Version=1.0\tGenerator=test\tGeneratorVersion=1\n\
              2026-07-22 12-00-00 000\treturn\t31000000123456\n",
        );
        koc.run(&["enqueue", &text(&file), "--branch", "CPL", "--user", "admin"]).code(0);
        let report = koc.json(1, &["process", "--all", "--dry-run", "--json"]);
        assert_eq!(report["results"][0]["outcome"], "conflict");
        let report = koc.json(0, &[
            "process",
            "--all",
            "--dry-run",
            "--conflicts",
            "koha-compatible",
            "--json",
        ]);
        assert_eq!(report["results"][0]["outcome"], "returned");
        koc.run(&["process", "--all", "--conflicts", "nonsense"]).code(2);
    };

    apply_enqueues_and_processes_that_upload => |koc: Koc| {
        koc.load_sample();
        // Something else waiting in the queue: apply leaves it alone.
        let other = koc.file(
            "other.koc",
            b"Version=1.0\tGenerator=test\tGeneratorVersion=1\n\
              2026-07-21 09-00-00 000\tpayment\t23529001000494\t10.00\n",
        );
        koc.run(&["enqueue", &text(&other), "--branch", "CPL", "--user", "admin"]).code(0);
        let waiting = pending_ids(&koc);
        let desktop = text(&testdata("desktop-crlf.koc"));
        let report = koc.json(0, &["apply", &desktop, "--branch", "CPL", "--user", "admin", "--json"]);
        assert_eq!(report["added"], 6);
        assert_eq!(report["duplicates"], 0);
        assert_eq!(report["rejected"], json!([]));
        assert_eq!(report["processed"], 6);
        assert_eq!(outcomes(&report), expected_desktop(waiting[0] + 1));
        assert_eq!(pending_ids(&koc), waiting);
        assert_desktop_applied(&koc);
        // Again: nothing new, nothing applied twice.
        let again = koc.json(0, &["apply", &desktop, "--branch", "CPL", "--user", "admin", "--json"]);
        assert_eq!(again["added"], 0);
        assert_eq!(again["duplicates"], 6);
        assert_eq!(again["results"], json!([]));
        assert_eq!(koc.json(0, &["patron", "jdoe", "--json"])["balance"], "0.50");
        // Rejected lines: exit 1, the good lines applied.
        let messy = text(&testdata("messy.koc"));
        let report = koc.run(&["apply", &messy, "--branch", "CPL", "--user", "admin", "--json"]).code(1).json();
        assert_eq!(report["rejected"].as_array().unwrap().len(), 7);
        // Its first issue is desktop-crlf.koc's first line again.
        assert_eq!(report["added"], 2);
        assert_eq!(report["duplicates"], 1);
        assert_eq!(report["processed"], 2);
        let human = koc.run(&["apply", &desktop, "--branch", "CPL", "--user", "admin"]).code(0).stdout;
        assert!(human.contains("Nothing new to process."), "{human}");
    };

    lookups_after_processing => |koc: Koc| {
        koc.load_sample();
        koc.enqueue("desktop-crlf.koc");
        koc.run(&["process", "--all"]).code(0);
        let jane = koc.json(0, &["patron", "23529001000463", "--json"]);
        assert_eq!(jane["balance"], "0.50");
        assert_eq!(jane["userid"], "jdoe");
        assert_eq!(jane["loans"][0]["barcode"], "31000000123456");
        assert_eq!(jane["loans"][0]["due_at"], "2026-08-05 23:59:00");
        assert_eq!(jane["loans"].as_array().unwrap().len(), 1);
        let kinds: Vec<&str> = jane["account"].as_array().unwrap().iter().map(|a| a["kind"].as_str().unwrap()).collect();
        assert_eq!(kinds, ["debit", "debit", "credit"]);
        let human = koc.run(&["patron", "jdoe"]).code(0).stdout;
        assert!(human.contains("Jane Doe (card 23529001000463, username jdoe)"), "{human}");
        assert!(human.contains("balance: 0.50"), "{human}");
        assert!(human.contains("The Left Hand of Darkness"), "{human}");

        let item = koc.json(0, &["item", "31000000654321", "--json"]);
        assert_eq!(item["title"], "A Brief History of Time");
        assert_eq!(item["loan"]["cardnumber"], "23529001000470");
        assert_eq!(item["loan"]["patron"], "John Smith");
        assert_eq!(item["loan"]["issued_at"], "2026-07-22 11:02:13");
        let human = koc.run(&["item", "31000000123457"]).code(0).stdout;
        assert!(human.contains("Middlemarch (barcode 31000000123457)"), "{human}");
        assert!(human.contains("not on loan"), "{human}");
        koc.run(&["item", "nope"]).code(1);
        koc.run(&["patron", "nobody"]).code(1);

        let smith = koc.json(0, &["loans", "--patron", "23529001000470", "--json"]);
        assert_eq!(smith.as_array().unwrap().len(), 1);
        let human = koc.run(&["loans"]).code(0).stdout;
        assert!(human.starts_with("2 loans."), "{human}");

        let found = koc.json(0, &["patron", "search", "lopez", "--json"]);
        assert_eq!(found[0]["cardnumber"], "23529001000487");
        assert_eq!(found[0]["expired"], true);
        let found = koc.json(0, &["patron", "search", "øst", "--json"]);
        assert_eq!(found[0]["name"], "Åse Østergård");
        let found = koc.json(0, &["patron", "search", "jane", "doe", "--json"]);
        assert_eq!(found.as_array().unwrap().len(), 1);
        koc.run(&["patron", "search", "zzz"]).code(1);
        let human = koc.run(&["patron", "search", "smith"]).code(0).stdout;
        assert!(human.contains("John Smith"), "{human}");
    };
}
