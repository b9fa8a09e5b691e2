-- koc schema version 2: the name of the file an operation was read from,
-- stored once, not on each of its operations' rows.
--
-- A file's operations all name it: a desk's file name (45 bytes in the
-- scale benchmark) on each of a million rows was written by enqueue and
-- read by processing a million times over. An operation read from a file
-- now refers to its name by number (`source_file_id`, checked by
-- construction: enqueue takes the number from this table in its own
-- transaction, and `operations` has no foreign keys, whose checks would
-- cost each row of a `COPY` a query). Rows written before keep their name
-- in `source_file`, which readers take first: nothing is rewritten.

CREATE TABLE source_files (
    id   bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name text NOT NULL UNIQUE
);

ALTER TABLE operations ADD COLUMN source_file_id bigint;
