-- koc schema version 1: the circulation data, the pending queue and its
-- history. Runs with search_path set to the store's schema.
--
-- Money is numeric(28,6), as Koha keeps it. Card numbers and barcodes are
-- the keys the desks use, so they are the keys here too. Operation times
-- keep the nanoseconds below PostgreSQL's microsecond in *_ns columns.

CREATE TABLE patrons (
    cardnumber       text PRIMARY KEY CHECK (btrim(cardnumber) <> ''),
    userid           text UNIQUE,
    surname          text NOT NULL,
    firstname        text,
    category         text,
    branch           text,
    expiry           date,
    restricted_until date,
    email            text,
    phone            text,
    address          text,
    city             text,
    date_of_birth    date
);

-- The desk search: one row per word of a patron's names, folded as
-- koc_core::search_tokens folds them. Byte order ("C") lets the primary
-- key's index serve prefix searches as range scans.
CREATE TABLE patron_names (
    token      text COLLATE "C" NOT NULL,
    cardnumber text NOT NULL REFERENCES patrons (cardnumber) ON DELETE CASCADE,
    PRIMARY KEY (token, cardnumber)
);
CREATE INDEX patron_names_cardnumber ON patron_names (cardnumber);

CREATE TABLE items (
    barcode       text PRIMARY KEY CHECK (btrim(barcode) <> ''),
    title         text,
    author        text,
    callnumber    text,
    itemtype      text,
    homebranch    text,
    holdingbranch text,
    status        text NOT NULL DEFAULT 'available'
                  CHECK (status IN ('available', 'lost', 'withdrawn', 'notforloan', 'damaged')),
    last_seen     timestamp
) WITH (fillfactor = 90); -- room for processing's in-place (HOT) updates

-- Open loans: at most one per item.
CREATE TABLE loans (
    barcode         text PRIMARY KEY REFERENCES items (barcode),
    cardnumber      text NOT NULL REFERENCES patrons (cardnumber),
    issued_at       timestamp NOT NULL,
    due_at          timestamp NOT NULL,
    renewals        bigint NOT NULL DEFAULT 0 CHECK (renewals >= 0),
    last_renewed_at timestamp,
    branch          text
) WITH (fillfactor = 90);
CREATE INDEX loans_cardnumber ON loans (cardnumber);

-- Ended loans: a log, written only by processing from open loans (which
-- reference existing patrons and items), so without foreign keys: their
-- checks would lock a patron and an item row per returned loan.
CREATE TABLE closed_loans (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    barcode         text NOT NULL,
    cardnumber      text NOT NULL,
    issued_at       timestamp NOT NULL,
    due_at          timestamp NOT NULL,
    renewals        bigint NOT NULL CHECK (renewals >= 0),
    last_renewed_at timestamp,
    branch          text,
    returned_at     timestamp NOT NULL
);
CREATE INDEX closed_loans_barcode ON closed_loans (barcode);
CREATE INDEX closed_loans_cardnumber ON closed_loans (cardnumber);

CREATE TABLE account_lines (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    cardnumber   text NOT NULL REFERENCES patrons (cardnumber),
    kind         text NOT NULL CHECK (kind IN ('debit', 'credit')),
    amount       numeric(28, 6) NOT NULL CHECK (amount > 0),
    outstanding  numeric(28, 6) NOT NULL CHECK (outstanding >= 0),
    description  text,
    created_at   timestamp NOT NULL,
    operation_id bigint
);
CREATE INDEX account_lines_cardnumber ON account_lines (cardnumber, created_at);
-- What processing loads: a patron's debts still owed, oldest first.
CREATE INDEX account_lines_outstanding_debts ON account_lines (cardnumber, created_at, id)
    WHERE kind = 'debit' AND outstanding > 0;

-- What each payment paid of which debt.
CREATE TABLE payment_offsets (
    credit_id bigint NOT NULL REFERENCES account_lines (id),
    debit_id  bigint NOT NULL REFERENCES account_lines (id),
    amount    numeric(28, 6) NOT NULL CHECK (amount > 0),
    PRIMARY KEY (credit_id, debit_id)
);

CREATE TABLE holds (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    barcode    text NOT NULL REFERENCES items (barcode),
    cardnumber text NOT NULL REFERENCES patrons (cardnumber),
    placed_at  timestamp NOT NULL,
    filled_at  timestamp
);
-- At most one waiting hold per patron and item.
CREATE UNIQUE INDEX holds_waiting ON holds (barcode, cardnumber) WHERE filled_at IS NULL;
CREATE INDEX holds_cardnumber ON holds (cardnumber);

-- Loan rules; NULL means any. The *_key columns make "any" comparable so
-- that (category, itemtype) is unique.
CREATE SEQUENCE loan_rule_positions;
CREATE TABLE loan_rules (
    category     text,
    itemtype     text,
    category_key text GENERATED ALWAYS AS (coalesce('=' || category, '*')) STORED,
    itemtype_key text GENERATED ALWAYS AS (coalesce('=' || itemtype, '*')) STORED,
    loan_days    bigint NOT NULL CHECK (loan_days BETWEEN 0 AND 4294967295),
    renewal_days bigint CHECK (renewal_days BETWEEN 0 AND 4294967295),
    -- Replacing a rule moves it last, as the reference store does.
    position     bigint NOT NULL DEFAULT nextval('loan_rule_positions'),
    PRIMARY KEY (category_key, itemtype_key)
);

CREATE TABLE uploads (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    created_at timestamp NOT NULL
);

-- Operation ids: they grow in enqueue order, and an operation keeps its id
-- in history and when requeued.
CREATE SEQUENCE operation_ids;

CREATE TABLE pending_operations (
    id            bigint PRIMARY KEY,
    upload_id     bigint NOT NULL,
    enqueued_at   timestamp NOT NULL,
    fingerprint   text NOT NULL,
    action        text NOT NULL CHECK (action IN ('issue', 'return', 'payment')),
    time          timestamp NOT NULL,
    time_ns       smallint NOT NULL DEFAULT 0 CHECK (time_ns BETWEEN 0 AND 999),
    cardnumber    text,
    barcode       text,
    amount        numeric(28, 6),
    due_date      date,
    due_at        timestamp,
    due_ns        smallint NOT NULL DEFAULT 0 CHECK (due_ns BETWEEN 0 AND 999),
    userid        text NOT NULL,
    branch        text NOT NULL,
    workstation   text,
    source_kind   text NOT NULL CHECK (source_kind IN ('file', 'request')),
    source_file   text,
    source_line   bigint,
    source_detail text,
    CHECK (due_date IS NULL OR due_at IS NULL)
);
CREATE UNIQUE INDEX pending_operations_fingerprint ON pending_operations (fingerprint);
-- Processing order, for everything and for one library.
CREATE INDEX pending_operations_order ON pending_operations (time, time_ns, id);
CREATE INDEX pending_operations_branch_order ON pending_operations (branch, time, time_ns, id);
CREATE INDEX pending_operations_barcode ON pending_operations (barcode, time, time_ns, id);

CREATE TABLE history (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    operation_id  bigint NOT NULL,
    upload_id     bigint NOT NULL,
    enqueued_at   timestamp NOT NULL,
    fingerprint   text NOT NULL,
    action        text NOT NULL CHECK (action IN ('issue', 'return', 'payment')),
    time          timestamp NOT NULL,
    time_ns       smallint NOT NULL DEFAULT 0 CHECK (time_ns BETWEEN 0 AND 999),
    cardnumber    text,
    barcode       text,
    amount        numeric(28, 6),
    due_date      date,
    due_at        timestamp,
    due_ns        smallint NOT NULL DEFAULT 0 CHECK (due_ns BETWEEN 0 AND 999),
    userid        text NOT NULL,
    branch        text NOT NULL,
    workstation   text,
    source_kind   text NOT NULL CHECK (source_kind IN ('file', 'request')),
    source_file   text,
    source_line   bigint,
    source_detail text,
    -- What happened: koc_core::OutcomeCode::as_str, Koha's message, and the
    -- warnings as a JSON array of {"code", "message"}.
    outcome       text NOT NULL,
    message       text NOT NULL,
    warnings      jsonb NOT NULL DEFAULT '[]',
    by_user       text NOT NULL,
    at            timestamp NOT NULL,
    requeued_at   timestamp
);
CREATE INDEX history_fingerprint ON history (fingerprint);
CREATE INDEX history_operation ON history (operation_id, id);
