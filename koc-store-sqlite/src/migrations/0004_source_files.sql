-- koc schema version 4: the name of the file an operation was read from,
-- stored once, not on each of its operations' rows.
--
-- A file's operations all name it: with a desk's file name of 45 bytes, a
-- quarter of an operation's row (about 176 bytes) repeated one text, which
-- enqueuing wrote and processing read a million times over for a file of a
-- million lines. An operation read from a file now refers to its name by
-- number; `source_text` stays for the other kinds of source (a request's
-- detail, a source as JSON) and is NULL for a file.

CREATE TABLE source_files (
    id   INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE
);

ALTER TABLE operations ADD COLUMN source_file INTEGER REFERENCES source_files (id);

-- Numbered in the order the names first appear. Each name is looked up
-- in the unique index as it comes, not sorted with the others: sorting the
-- names of 5 000 000 operations held them all in memory (441 MiB).
INSERT OR IGNORE INTO source_files (name)
    SELECT source_text FROM operations
    WHERE source_kind = 'file' AND source_text IS NOT NULL ORDER BY id;

UPDATE operations
    SET source_file = (SELECT f.id FROM source_files AS f WHERE f.name = operations.source_text),
        source_text = NULL
    WHERE source_kind = 'file' AND source_text IS NOT NULL;
