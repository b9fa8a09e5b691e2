-- koc schema version 2: an item's catalogue text (title, author, call
-- number) in a table of its own, so that `items` holds what circulation
-- reads and processing changes.
--
-- Processing reads each item it touches and writes its status, when it was
-- last seen and where it is, for nearly every operation, at random places
-- of the catalogue. With the text in the row (about 90 bytes with 500 000
-- items: 46 MiB) a batch of 20 000 operations dirtied most of the table's
-- pages and each commit wrote them all to the WAL again. Without it a row
-- is about 45 bytes. Processing never reads the text (see
-- `koc_core::BatchState`); the desk and review read both tables.
--
-- Every item has exactly one row here, written with it.

CREATE TABLE item_texts (
    barcode    TEXT PRIMARY KEY REFERENCES items (barcode),
    title      TEXT,
    author     TEXT,
    callnumber TEXT
) WITHOUT ROWID;

INSERT INTO item_texts (barcode, title, author, callnumber)
    SELECT barcode, title, author, callnumber FROM items ORDER BY barcode;

ALTER TABLE items DROP COLUMN title;
ALTER TABLE items DROP COLUMN author;
ALTER TABLE items DROP COLUMN callnumber;
