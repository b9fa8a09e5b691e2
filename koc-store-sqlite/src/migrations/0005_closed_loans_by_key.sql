-- koc schema version 5: closed loans found by item and by patron without
-- each batch writing at random into indexes as large as the loan history.
--
-- `closed_loans` had an index by barcode and one by card number. Every
-- return adds a key to each at a random place, so a batch of returns
-- rewrote most pages of both, and both grow with the history: processing
-- 5 000 000 operations took 83.4 s with them and 51.6 s without them
-- (1 000 000: 9.70 against 8.91 s; see benches/README.md).
--
-- Now a batch adds its closed loans to `closed_loans_recent`, whose indexes
-- stay small. When it holds enough (see src/closed_loans.rs), its rows move
-- in one go: to `closed_loans` in id order (an append), and their keys to
-- `closed_loan_items` in barcode order and to `closed_loan_patrons` in card
-- number order, so that each page of those is written once per move, in
-- order, rather than at random by each batch. A closed loan is in exactly
-- one of `closed_loans` and `closed_loans_recent`; its id is given in
-- processing order across both.

CREATE TABLE closed_loans_recent (
    id              INTEGER PRIMARY KEY,
    barcode         TEXT NOT NULL REFERENCES items (barcode),
    cardnumber      TEXT NOT NULL REFERENCES patrons (cardnumber),
    issued_at       INTEGER NOT NULL,
    due_at          INTEGER NOT NULL,
    renewals        INTEGER NOT NULL CHECK (renewals >= 0),
    last_renewed_at INTEGER,
    branch          TEXT,
    returned_at     INTEGER NOT NULL
);
CREATE INDEX closed_loans_recent_by_item ON closed_loans_recent (barcode);
CREATE INDEX closed_loans_recent_by_patron ON closed_loans_recent (cardnumber);

-- The keys of the closed loans in `closed_loans`, each kept in its order.
CREATE TABLE closed_loan_items (
    barcode TEXT NOT NULL,
    id      INTEGER NOT NULL,
    PRIMARY KEY (barcode, id)
) WITHOUT ROWID;
CREATE TABLE closed_loan_patrons (
    cardnumber TEXT NOT NULL,
    id         INTEGER NOT NULL,
    PRIMARY KEY (cardnumber, id)
) WITHOUT ROWID;

INSERT INTO closed_loan_items (barcode, id)
    SELECT barcode, id FROM closed_loans INDEXED BY closed_loans_by_item ORDER BY barcode, id;
INSERT INTO closed_loan_patrons (cardnumber, id)
    SELECT cardnumber, id FROM closed_loans INDEXED BY closed_loans_by_patron
    ORDER BY cardnumber, id;

DROP INDEX closed_loans_by_item;
DROP INDEX closed_loans_by_patron;
