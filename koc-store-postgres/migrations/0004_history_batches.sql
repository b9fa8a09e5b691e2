-- koc schema version 4: history kept one row per batch.
--
-- Version 1 kept one row per operation that left the queue, with two
-- indexes (its id, its operation). Processing 1 000 000 operations wrote a
-- million rows and two million index entries into them; the benchmark's
-- server spent about 2 s of CPU on those index entries alone, 7% of the
-- run (benches/README.md, 5 December). A batch now writes one row: the
-- batch's operations, outcomes, messages and warnings as arrays in
-- processing order, and the operations as a multirange of their ids,
-- indexed by GiST, so that an operation's entries are found by index
-- without an index entry per operation.
--
-- Entries keep their ids: the batch's first id plus the entry's place in
-- it, taken from history_ids as before. An entry put back in the queue is
-- marked in history_requeued instead of being updated. The view `history`
-- shows the entries as the old table did (its columns, one row per entry),
-- for reading by hand; koc reads history_batches directly, through the
-- operations' index.
CREATE TABLE history_batches (
    -- The batch's entries are first_id, first_id + 1, ... in processing
    -- order. Only holders of the queue lock write here (see history_ids).
    first_id      bigint PRIMARY KEY,
    -- The ids of operation_ids, as ranges: what the index looks in.
    operations    int8multirange NOT NULL,
    operation_ids bigint[] NOT NULL,
    -- koc_core::OutcomeCode::as_str, Koha's message, and the warnings as a
    -- JSON array of {"code", "message"} (NULL for none), entry by entry.
    outcomes      text[] NOT NULL,
    messages      text[] NOT NULL,
    warnings      text[] NOT NULL,
    by_user       text NOT NULL,
    at            timestamp NOT NULL,
    CHECK (cardinality(operation_ids) > 0
           AND cardinality(outcomes) = cardinality(operation_ids)
           AND cardinality(messages) = cardinality(operation_ids)
           AND cardinality(warnings) = cardinality(operation_ids))
);
CREATE INDEX history_batches_operations ON history_batches USING gist (operations);

-- When an entry's operation was put back in the queue (at most once: the
-- operation's next processing makes a newer entry).
CREATE TABLE history_requeued (
    entry_id bigint PRIMARY KEY,
    at       timestamp NOT NULL
);

-- The entries of version 3, each a batch of one: their ids do not change.
INSERT INTO history_batches
    (first_id, operations, operation_ids, outcomes, messages, warnings, by_user, at)
SELECT id, int8multirange(int8range(operation_id, operation_id, '[]')), ARRAY[operation_id],
       ARRAY[outcome], ARRAY[message],
       ARRAY[CASE WHEN warnings = '[]'::jsonb THEN NULL ELSE warnings::text END],
       by_user, at
FROM history;
INSERT INTO history_requeued (entry_id, at)
SELECT id, requeued_at FROM history WHERE requeued_at IS NOT NULL;
-- history_ids belonged to the old table's identity column: a sequence of
-- its own takes over where it was.
CREATE SEQUENCE history_entry_ids;
SELECT setval('history_entry_ids', last_value, is_called) FROM history_ids;
DROP TABLE history;
ALTER SEQUENCE history_entry_ids RENAME TO history_ids;

CREATE VIEW history AS
SELECT b.first_id + e.place - 1 AS id, e.operation_id, e.outcome, e.message,
       coalesce(e.warnings::jsonb, '[]') AS warnings, b.by_user, b.at, r.at AS requeued_at
FROM history_batches b
CROSS JOIN LATERAL unnest(b.operation_ids, b.outcomes, b.messages, b.warnings)
    WITH ORDINALITY AS e(operation_id, outcome, message, warnings, place)
LEFT JOIN history_requeued r ON r.entry_id = b.first_id + e.place - 1;
