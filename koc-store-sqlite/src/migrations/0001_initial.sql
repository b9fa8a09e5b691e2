-- koc schema version 1: the circulation data, the pending queue and history.
--
-- Encodings (chosen for compact, fast, correctly ordered integer keys):
--   times   INTEGER microseconds since 1970-01-01 00:00 of the library's
--           local wall-clock time (no zone): datetime(t / 1e6, 'unixepoch')
--           shows one in the sqlite3 shell;
--   dates   INTEGER days since 1970-01-01: date(d * 86400, 'unixepoch');
--   money   INTEGER millionths of the currency unit (koc_core::Money).
-- Card numbers and barcodes are the keys other tables refer to.

CREATE TABLE patrons (
    cardnumber       TEXT PRIMARY KEY CHECK (cardnumber <> ''),
    userid           TEXT UNIQUE,
    surname          TEXT NOT NULL,
    firstname        TEXT,
    category         TEXT,
    branch           TEXT,
    expiry           INTEGER,
    restricted_until INTEGER,
    email            TEXT,
    phone            TEXT,
    address          TEXT,
    city             TEXT,
    date_of_birth    INTEGER
) WITHOUT ROWID;

-- The desk search: one row per word of a patron's names, folded as
-- koc_core::search_tokens does. A search for a word prefix is a range scan
-- of the primary key (token >= 'pre' AND token < 'pre' || char(1114111)).
CREATE TABLE patron_names (
    token      TEXT NOT NULL,
    cardnumber TEXT NOT NULL REFERENCES patrons (cardnumber),
    PRIMARY KEY (token, cardnumber)
) WITHOUT ROWID;
CREATE INDEX patron_names_by_patron ON patron_names (cardnumber);

CREATE TABLE items (
    barcode       TEXT PRIMARY KEY CHECK (barcode <> ''),
    title         TEXT,
    author        TEXT,
    callnumber    TEXT,
    itemtype      TEXT,
    homebranch    TEXT,
    holdingbranch TEXT,
    status        TEXT NOT NULL DEFAULT 'available'
                  CHECK (status IN ('available', 'lost', 'withdrawn', 'notforloan', 'damaged')),
    last_seen     INTEGER
) WITHOUT ROWID;

-- Open loans: at most one per item.
CREATE TABLE loans (
    barcode         TEXT PRIMARY KEY REFERENCES items (barcode),
    cardnumber      TEXT NOT NULL REFERENCES patrons (cardnumber),
    issued_at       INTEGER NOT NULL,
    due_at          INTEGER NOT NULL,
    renewals        INTEGER NOT NULL DEFAULT 0 CHECK (renewals >= 0),
    last_renewed_at INTEGER,
    branch          TEXT
) WITHOUT ROWID;
CREATE INDEX loans_by_patron ON loans (cardnumber);

-- Loans that ended, in the order they ended.
CREATE TABLE closed_loans (
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
CREATE INDEX closed_loans_by_item ON closed_loans (barcode);
CREATE INDEX closed_loans_by_patron ON closed_loans (cardnumber);

-- Debits (fines, fees) and credits (payments).
CREATE TABLE account_lines (
    id          INTEGER PRIMARY KEY,
    cardnumber  TEXT NOT NULL REFERENCES patrons (cardnumber),
    kind        TEXT NOT NULL CHECK (kind IN ('debit', 'credit')),
    amount      INTEGER NOT NULL CHECK (amount > 0),
    outstanding INTEGER NOT NULL CHECK (outstanding >= 0),
    description TEXT,
    created_at  INTEGER NOT NULL,
    operation   INTEGER
);
CREATE INDEX account_lines_by_patron ON account_lines (cardnumber);
-- What processing loads for a patron: debts still owed, oldest first.
CREATE INDEX account_lines_owed ON account_lines (cardnumber, created_at, id)
    WHERE kind = 'debit' AND outstanding > 0;

-- What each payment paid of which debt.
CREATE TABLE account_offsets (
    id     INTEGER PRIMARY KEY,
    credit INTEGER NOT NULL REFERENCES account_lines (id),
    debit  INTEGER NOT NULL REFERENCES account_lines (id),
    amount INTEGER NOT NULL CHECK (amount > 0)
);
CREATE INDEX account_offsets_by_credit ON account_offsets (credit);
CREATE INDEX account_offsets_by_debit ON account_offsets (debit);

CREATE TABLE holds (
    id         INTEGER PRIMARY KEY,
    barcode    TEXT NOT NULL REFERENCES items (barcode),
    cardnumber TEXT NOT NULL REFERENCES patrons (cardnumber),
    placed_at  INTEGER NOT NULL,
    filled_at  INTEGER
);
-- At most one waiting hold per item and patron; also what processing loads.
CREATE UNIQUE INDEX holds_waiting ON holds (barcode, cardnumber) WHERE filled_at IS NULL;
CREATE INDEX holds_by_patron ON holds (cardnumber);

-- Loan rules; NULL is "any" (Koha's '*'). One rule per (category, itemtype).
CREATE TABLE loan_rules (
    id           INTEGER PRIMARY KEY,
    category     TEXT,
    itemtype     TEXT,
    loan_days    INTEGER NOT NULL CHECK (loan_days >= 0),
    renewal_days INTEGER CHECK (renewal_days >= 0)
);
CREATE UNIQUE INDEX loan_rules_key ON loan_rules (
    category IS NULL, ifnull(category, ''), itemtype IS NULL, ifnull(itemtype, '')
);

CREATE TABLE uploads (
    id         INTEGER PRIMARY KEY,
    created_at INTEGER NOT NULL
);

-- Which operations each upload added: every enqueue gives the operations it
-- adds consecutive ids, so an upload is a few ranges of ids (one per
-- enqueue), not an index entry per operation.
CREATE TABLE upload_ranges (
    upload INTEGER NOT NULL REFERENCES uploads (id),
    first  INTEGER NOT NULL,
    last   INTEGER NOT NULL CHECK (last >= first),
    PRIMARY KEY (upload, first)
) WITHOUT ROWID;

-- Every operation ever enqueued, as uploaded; never deleted, so an id is
-- never given twice. The fingerprint is unique: the same operation cannot be
-- enqueued again, pending or processed.
--   due_date / due_at: the due date chosen offline, as a day or a time.
--   source_kind 'file': source_text is the file name, source_line the line;
--   'request': source_text is the detail; 'json': the source as JSON.
CREATE TABLE operations (
    id          INTEGER PRIMARY KEY,
    upload      INTEGER NOT NULL REFERENCES uploads (id),
    enqueued_at INTEGER NOT NULL,
    fingerprint TEXT NOT NULL UNIQUE,
    action      TEXT NOT NULL CHECK (action IN ('issue', 'return', 'payment')),
    time        INTEGER NOT NULL,
    cardnumber  TEXT,
    barcode     TEXT,
    amount      INTEGER,
    due_date    INTEGER,
    due_at      INTEGER,
    userid      TEXT NOT NULL,
    branch      TEXT NOT NULL,
    workstation TEXT,
    source_kind TEXT NOT NULL,
    source_text TEXT,
    source_line INTEGER
);

-- The pending queue: the operations waiting, in processing order, (time,
-- id); an operation's time is in `operations` too, so it is found by id
-- through there. Only this one order is kept up to date as operations come
-- and go: a run or a listing of one branch reads the queue in order and
-- skips the others', and a run that leaves operations behind reads it in
-- order for them (see src/process/earlier.rs), so that enqueuing and
-- processing write no page at random here.
CREATE TABLE pending (
    time    INTEGER NOT NULL,
    id      INTEGER NOT NULL REFERENCES operations (id),
    branch  TEXT NOT NULL,
    PRIMARY KEY (time, id)
) WITHOUT ROWID;

-- What became of operations that left the queue: one row per processing
-- (or deletion); an operation requeued and processed again has several.
CREATE TABLE history (
    id           INTEGER PRIMARY KEY,
    operation    INTEGER NOT NULL REFERENCES operations (id),
    outcome      TEXT NOT NULL,
    message      TEXT NOT NULL,
    -- A JSON array of {"code", "message"}; NULL when there is none.
    warnings     TEXT,
    -- 1 when the outcome is a failure (neither applied nor deleted).
    failed       INTEGER NOT NULL CHECK (failed IN (0, 1)),
    processed_by TEXT NOT NULL,
    processed_at INTEGER NOT NULL,
    requeued_at  INTEGER
);
CREATE INDEX history_by_operation ON history (operation);
CREATE INDEX history_failed ON history (id) WHERE failed = 1 AND requeued_at IS NULL;
