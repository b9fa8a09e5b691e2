//! `koc load`: every CSV of the sample library, and bad files refused whole.

// Test code: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{Koc, testdata, text};
use serde_json::json;

fn load(koc: &Koc, kind: &str, file: &std::path::Path) -> common::Run {
    koc.run(&["load", kind, &text(file), "--json"])
}

on_both_stores! {
    every_sample_csv_loads => |koc: Koc| {
        let counts = [
            ("patrons", 5),
            ("items", 6),
            ("loans", 1),
            ("fines", 3),
            ("holds", 1),
            ("rules", 3),
        ];
        for (kind, rows) in counts {
            let report = load(&koc, kind, &testdata(&format!("{kind}.csv"))).code(0).json();
            assert_eq!(report["kind"], kind);
            assert_eq!(report["rows"], rows, "{kind}");
        }
        // What was loaded is there.
        let patron = koc.json(0, &["patron", "jdoe", "--json"]);
        assert_eq!(patron["cardnumber"], "23529001000463");
        assert_eq!(patron["name"], "Jane Doe");
        assert_eq!(patron["dateexpiry"], "2027-12-31");
        assert_eq!(patron["balance"], "5.50");
        let kai = koc.json(0, &["patron", "23529001000494", "--json"]);
        assert_eq!(kai["debarred"], "2026-12-31");
        assert_eq!(kai["balance"], "40.00");
        let lost = koc.json(0, &["item", "31000000777777", "--json"]);
        assert_eq!(lost["status"], "lost");
        assert_eq!(lost["author"], serde_json::Value::Null);
        let loans = koc.json(0, &["loans", "--json"]);
        assert_eq!(loans, json!([{
            "barcode": "31000000654321",
            "title": "A Brief History of Time",
            "cardnumber": "23529001000487",
            "patron": "María López",
            "issued_at": "2026-07-01 14:03:00",
            "due_at": "2026-07-15 23:59:00",
            "renewals": 0,
            "last_renewed_at": null,
            "branchcode": null,
        }]));
        let samurai = koc.json(0, &["item", "31000000123458", "--json"]);
        assert_eq!(samurai["holds"][0]["cardnumber"], "23529001000470");
        assert_eq!(samurai["holds"][0]["placed_at"], "2026-07-10 09:30:00");

        // Loading fines again adds nothing: the same debts are recognised.
        let again = load(&koc, "fines", &testdata("fines.csv")).code(0).json();
        assert_eq!(again["added"], 0);
        assert_eq!(koc.json(0, &["patron", "jdoe", "--json"])["balance"], "5.50");

        // Undated fines, two of them alike: both are added, once.
        let undated = koc.file(
            "undated.csv",
            b"cardnumber,amount,description\n\
              23529001000463,0.20,Photocopy\n\
              23529001000463,0.20,Photocopy\n",
        );
        assert_eq!(load(&koc, "fines", &undated).code(0).json()["added"], 2);
        assert_eq!(load(&koc, "fines", &undated).code(0).json()["added"], 0);
        assert_eq!(koc.json(0, &["patron", "jdoe", "--json"])["balance"], "5.90");
    };

    a_large_file_is_written_in_chunks_after_its_last_row_is_checked => |koc: Koc| {
        // More rows than one chunk (10 000) holds, three chunks' worth.
        let rows = 25_001;
        let mut csv = b"barcode,title\n".to_vec();
        for n in 1..=rows {
            csv.extend_from_slice(format!("B{n:06},Title {n}\n").as_bytes());
        }
        // A bad last row: nothing of the file is written, not even the
        // chunks before it.
        let mut bad = csv.clone();
        bad.extend_from_slice(b",No barcode\n");
        let bad = koc.file("bad-items.csv", &bad);
        let run = koc.run(&["load", "items", &text(&bad)]).code(2);
        assert!(
            run.stderr.contains(&format!("line {}: barcode is empty", rows + 2)),
            "{}",
            run.stderr
        );
        koc.run(&["item", "B000001"]).code(1);

        let good = koc.file("items.csv", &csv);
        let report = load(&koc, "items", &good).code(0).json();
        assert_eq!(report["rows"], rows);
        for barcode in ["B000001", "B010000", "B010001", "B025001"] {
            let item = koc.json(0, &["item", barcode, "--json"]);
            assert_eq!(item["barcode"], barcode);
        }
        assert_eq!(koc.json(0, &["item", "B025001", "--json"])["title"], "Title 25001");
    };

    a_bad_row_loads_nothing_of_the_file => |koc: Koc| {
        let file = koc.file(
            "patrons.csv",
            b"cardnumber,surname,dateexpiry,extra\n\
              1001,Good,2027-01-01,x\n\
              1002,,2027-01-01,x\n\
              1003,Bad date,31/12/2027,x\n\
              1004,Fine,,x\n",
        );
        let run = koc.run(&["load", "patrons", &text(&file)]).code(2);
        assert!(run.stderr.contains("patrons.csv: line 3: surname is empty"), "{}", run.stderr);
        assert!(
            run.stderr.contains("patrons.csv: line 4: dateexpiry: `31/12/2027` is not a date: expected YYYY-MM-DD"),
            "{}",
            run.stderr
        );
        assert!(run.stderr.contains("2 bad rows; nothing was loaded"), "{}", run.stderr);
        // Not even the good rows.
        koc.run(&["patron", "1001"]).code(1);
        let search = koc.json(1, &["patron", "search", "good", "--json"]);
        assert_eq!(search, json!([]));

        // With --json the bad rows are printed as JSON too.
        let json = load(&koc, "patrons", &file).code(2).json();
        assert_eq!(json["rows"], 0);
        assert_eq!(json["errors"][0]["line"], 3);
        assert_eq!(json["errors"][1]["line"], 4);
    };

    a_missing_required_column_is_named => |koc: Koc| {
        let file = koc.file("items.csv", b"title,author\nDune,Herbert\n");
        let run = koc.run(&["load", "items", &text(&file)]).code(2);
        assert!(run.stderr.contains("items.csv: line 1: missing required column barcode"), "{}", run.stderr);
        assert_eq!(run.stderr.lines().count(), 1, "one line: {}", run.stderr);
    };

    references_to_unknown_patrons_or_items_are_bad_rows => |koc: Koc| {
        koc.load_sample();
        let file = koc.file(
            "loans.csv",
            b"barcode,cardnumber,issued_at,due_at\n\
              31000000123456,23529001000463,2026-07-01 10:00:00,2026-07-15 23:59:00\n\
              31000000123457,99999999,2026-07-01 10:00:00,2026-07-15 23:59:00\n\
              31000000000000,23529001000463,2026-07-01 10:00:00,2026-07-15 23:59:00\n\
              31000000123458,23529001000463,2026-07-01,2026-07-15 23:59:00\n",
        );
        let run = koc.run(&["load", "loans", &text(&file)]).code(2);
        assert!(run.stderr.contains("line 3: no patron has card number 99999999"), "{}", run.stderr);
        assert!(run.stderr.contains("line 4: no item has barcode 31000000000000"), "{}", run.stderr);
        assert!(run.stderr.contains("line 5: issued_at: `2026-07-01` is not a date and time"), "{}", run.stderr);
        // Nothing loaded: the good first row neither.
        assert_eq!(koc.json(0, &["loans", "--json"]).as_array().unwrap().len(), 1);
    };

    rules_with_stars_and_bad_values => |koc: Koc| {
        let good = koc.file("rules.csv", b"categorycode,itemtype,loan_days\n*,*,21\nST,DVD,3\n");
        assert_eq!(load(&koc, "rules", &good).code(0).json()["rows"], 2);
        let bad = koc.file("bad-rules.csv", b"categorycode,itemtype,loan_days,renewal_days\n*,*,-1,\n*,BK,7,x\n");
        let run = koc.run(&["load", "rules", &text(&bad)]).code(2);
        assert!(run.stderr.contains("line 2: loan_days"), "{}", run.stderr);
        assert!(run.stderr.contains("line 3: renewal_days"), "{}", run.stderr);
    };

    fines_and_items_check_their_values => |koc: Koc| {
        koc.load_sample();
        let fines = koc.file("fines.csv", b"cardnumber,amount\n23529001000463,0\n23529001000463,2;50\n");
        let run = koc.run(&["load", "fines", &text(&fines)]).code(2);
        assert!(run.stderr.contains("line 2: amount: amount `0` must be more than zero"), "{}", run.stderr);
        assert!(run.stderr.contains("line 3: amount: `2;50` is not an amount"), "{}", run.stderr);
        let items = koc.file("items.csv", b"barcode,status\nX1,missing\n");
        let run = koc.run(&["load", "items", &text(&items)]).code(2);
        assert!(run.stderr.contains("line 2: status: unknown item status `missing`"), "{}", run.stderr);
    };
}

#[test]
fn a_missing_file_is_an_input_error() {
    let koc = Koc::new();
    let run = koc
        .run(&["load", "patrons", "/nonexistent/patrons.csv"])
        .code(2);
    assert!(
        run.stderr.contains("cannot read /nonexistent/patrons.csv"),
        "{}",
        run.stderr
    );
    let run = koc.run(&["load", "books", "x.csv"]).code(2);
    assert!(run.stderr.contains("books"), "{}", run.stderr);
}

#[test]
fn a_row_that_is_not_utf8_is_a_bad_row() {
    let koc = Koc::new();
    // A UTF-8 byte-order mark is fine; a Windows-1252 é is not.
    let file = koc.file(
        "items.csv",
        b"\xef\xbb\xbfbarcode,title\nB1,Caf\xe9\nB2,Ok\n",
    );
    let run = koc.run(&["load", "items", &text(&file)]).code(2);
    assert!(
        run.stderr
            .contains("items.csv: line 2: not valid UTF-8 (field 2)"),
        "{}",
        run.stderr
    );
    koc.run(&["item", "B2"]).code(1);
    let clean = koc.file("clean.csv", b"\xef\xbb\xbfbarcode,title\nB1,Cafe\n");
    koc.run(&["load", "items", &text(&clean)]).code(0);
    assert_eq!(koc.json(0, &["item", "B1", "--json"])["title"], "Cafe");
}
