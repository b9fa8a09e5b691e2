//! The query plans of the statements that run per batch or per keystroke:
//! each must find its rows through an index, never scan a table that grows
//! with the library, the queue or the history.

mod tests {
    use rusqlite::Connection;

    use crate::circulation::SEARCH_PATRONS;
    use crate::process::batch::*;
    use crate::queue::{DELETE_PENDING, IS_PENDING, KNOWN_FINGERPRINTS};

    fn plan(conn: &Connection, sql: &str) -> Vec<String> {
        let mut select = conn.prepare(&format!("EXPLAIN QUERY PLAN {sql}")).unwrap();
        let empty: rusqlite::vtab::array::Array = std::rc::Rc::new(Vec::new());
        let params = vec![empty; select.parameter_count()];
        select
            .query_map(rusqlite::params_from_iter(params), |row| row.get(3))
            .unwrap()
            .map(Result::unwrap)
            .collect()
    }

    #[test]
    fn listings_use_indexes() {
        use koc_core::{HistoryFilter, OperationId, PendingFilter, UploadId};

        let mut conn = Connection::open_in_memory().unwrap();
        rusqlite::vtab::array::load_module(&conn).unwrap();
        crate::schema::migrate(&mut conn).unwrap();
        let at = chrono::NaiveDateTime::default();
        let pending = |filter: PendingFilter| {
            let mut query = crate::queue::pending_query(crate::queue::PENDING_COLUMNS, &filter);
            query.then("ORDER BY p.time, p.id").limit(Some(50));
            query.sql().to_owned()
        };
        let history =
            |filter: HistoryFilter| crate::history::history_query(&filter).sql().to_owned();
        let expected = [
            (pending(PendingFilter::all()), "SCAN p"),
            // The queue in order, skipping other branches.
            (pending(PendingFilter::all().branch("CPL")), "SCAN p"),
            (
                pending(PendingFilter::all().upload(UploadId(1))),
                "SEARCH r USING PRIMARY KEY (upload=?)",
            ),
            (
                pending(PendingFilter::all().after(at, OperationId(1))),
                "PRIMARY KEY (time>?)",
            ),
            (history(HistoryFilter::failed()), "history_failed"),
            (
                history(HistoryFilter::all().operation(OperationId(1))),
                "history_by_operation",
            ),
        ];
        for (sql, index) in expected {
            let text = plan(&conn, &sql).join(" | ");
            assert!(
                text.contains(index),
                "{sql}\n  does not use {index}: {text}"
            );
            assert!(
                !text.contains("TEMP B-TREE") || index.contains("upload"),
                "{sql}\n  sorts: {text}"
            );
        }
    }

    #[test]
    fn hot_statements_use_indexes() {
        let mut conn = Connection::open_in_memory().unwrap();
        rusqlite::vtab::array::load_module(&conn).unwrap();
        crate::schema::migrate(&mut conn).unwrap();
        let expected = [
            (PENDING_AFTER, "SEARCH p USING PRIMARY KEY (time>?)"),
            (
                PENDING_AFTER_IN_BRANCH,
                "SEARCH p USING PRIMARY KEY (time>?)",
            ),
            (
                PENDING_CHOSEN,
                "SEARCH p USING PRIMARY KEY (time=? AND id=?)",
            ),
            (
                PENDING_CHOSEN_IN_BRANCH,
                "SEARCH p USING PRIMARY KEY (time=? AND id=?)",
            ),
            (IS_PENDING, "SEARCH p USING PRIMARY KEY (time=? AND id=?)"),
            (
                DELETE_PENDING,
                "SEARCH pending USING PRIMARY KEY (time=? AND id=?)",
            ),
            (LOAD_PATRONS_BY_CARD, "PRIMARY KEY (cardnumber=?)"),
            (LOAD_PATRONS_BY_USERID, "(userid=?)"),
            (LOAD_DEBTS, "account_lines_owed (cardnumber=?)"),
            (
                LOAD_ITEMS_WITH_LOANS,
                "SEARCH i USING PRIMARY KEY (barcode=?)",
            ),
            (
                LOAD_ITEMS_WITH_LOANS,
                "SEARCH l USING PRIMARY KEY (barcode=?)",
            ),
            (LOAD_HOLDS, "holds_waiting (barcode=?)"),
            (UPDATE_ITEM, "PRIMARY KEY (barcode=?)"),
            (
                crate::process::earlier::PENDING_BETWEEN,
                "SEARCH p USING PRIMARY KEY (time>? AND time<?)",
            ),
            (
                DELETE_PROCESSED,
                "SEARCH pending USING PRIMARY KEY (time=? AND id=?)",
            ),
            (KNOWN_FINGERPRINTS, "(fingerprint=?)"),
            (SEARCH_PATRONS, "PRIMARY KEY (token>? AND token<?)"),
        ];
        for (sql, index) in expected {
            let steps = plan(&conn, sql);
            let text = steps.join(" | ");
            assert!(
                text.contains(index),
                "{sql}\n  does not use {index}: {text}"
            );
            for step in &steps {
                let scans_table = step.starts_with("SCAN ")
                    && !step.contains("VIRTUAL TABLE")
                    && step != "SCAN CONSTANT ROW";
                assert!(!scans_table, "{sql}\n  scans a table: {text}");
            }
        }
    }

    /// A batch's loads read their list of keys in order and look each one
    /// up; with `IN rarray(?)` SQLite first copied the list into a
    /// temporary index ("LIST SUBQUERY"), one B-tree insertion per key: 6%
    /// of a processing run's instructions.
    #[test]
    fn batch_loads_look_up_each_key_of_the_list() {
        let mut conn = Connection::open_in_memory().unwrap();
        rusqlite::vtab::array::load_module(&conn).unwrap();
        crate::schema::migrate(&mut conn).unwrap();
        for sql in [
            LOAD_PATRONS_BY_CARD,
            LOAD_PATRONS_BY_USERID,
            LOAD_DEBTS,
            LOAD_ITEMS_WITH_LOANS,
            LOAD_HOLDS,
            KNOWN_FINGERPRINTS,
        ] {
            let steps = plan(&conn, sql);
            let text = steps.join(" | ");
            assert!(
                steps[0].starts_with("SCAN k VIRTUAL TABLE"),
                "{sql}\n  does not start from the keys: {text}"
            );
            assert!(
                !text.contains("LIST SUBQUERY"),
                "{sql}\n  copies the keys: {text}"
            );
        }
    }

    #[test]
    fn closed_loans_are_found_through_their_keys_in_both_parts() {
        use koc_core::LoanFilter;

        let mut conn = Connection::open_in_memory().unwrap();
        crate::schema::migrate(&mut conn).unwrap();
        let cases = [
            (
                LoanFilter::patron("C1"),
                ["closed_loan_patrons", "closed_loans_recent_by_patron"],
            ),
            (
                LoanFilter::item("B1"),
                ["closed_loan_items", "closed_loans_recent_by_item"],
            ),
        ];
        for (filter, indexes) in cases {
            let (sql, _) = crate::closed_loans::select_sql(&filter);
            let text = plan(&conn, &sql).join("\n");
            for index in indexes {
                assert!(
                    text.contains(index),
                    "{sql}\n  does not use {index}: {text}"
                );
            }
            assert!(!text.contains("SCAN"), "{sql}\n  scans: {text}");
            assert!(!text.contains("TEMP B-TREE"), "{sql}\n  sorts: {text}");
        }
        // All of them: both parts read in id order and merged, not sorted.
        let (sql, _) = crate::closed_loans::select_sql(&LoanFilter::all());
        let text = plan(&conn, &sql).join("\n");
        assert!(!text.contains("TEMP B-TREE"), "{sql}\n  sorts: {text}");
    }
}
