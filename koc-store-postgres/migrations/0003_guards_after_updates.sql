-- koc schema version 3: the guards of referred-to rows no longer lock
-- every row an update writes.
--
-- Version 1 guarded patrons, items and account lines with one trigger each,
-- BEFORE DELETE OR UPDATE OF the key. PostgreSQL fetches and locks the old
-- row for a BEFORE ROW UPDATE trigger before it looks at the trigger's
-- column list, so every update of an item's status or an account line's
-- outstanding amount by processing also locked the row and wrote a WAL
-- record for the lock (89 573 of them for 100 000 operations of the scale
-- benchmark), though the trigger never ran. An AFTER ROW trigger's column
-- list is checked before anything is done for the row: re-keying is now
-- guarded after the update (the same check, the same error, raised before
-- the statement ends), deleting still before.

DROP TRIGGER patrons_referred_to ON patrons;
DROP TRIGGER items_referred_to ON items;
DROP TRIGGER account_lines_referred_to ON account_lines;

CREATE TRIGGER patrons_deleted_while_referred_to BEFORE DELETE ON patrons
    FOR EACH ROW EXECUTE FUNCTION koc_refuse_if_referred_to();
CREATE TRIGGER patrons_rekeyed_while_referred_to AFTER UPDATE OF cardnumber ON patrons
    FOR EACH ROW EXECUTE FUNCTION koc_refuse_if_referred_to();
CREATE TRIGGER items_deleted_while_referred_to BEFORE DELETE ON items
    FOR EACH ROW EXECUTE FUNCTION koc_refuse_if_referred_to();
CREATE TRIGGER items_rekeyed_while_referred_to AFTER UPDATE OF barcode ON items
    FOR EACH ROW EXECUTE FUNCTION koc_refuse_if_referred_to();
CREATE TRIGGER account_lines_deleted_while_referred_to BEFORE DELETE ON account_lines
    FOR EACH ROW EXECUTE FUNCTION koc_refuse_if_referred_to();
CREATE TRIGGER account_lines_rekeyed_while_referred_to AFTER UPDATE OF id ON account_lines
    FOR EACH ROW EXECUTE FUNCTION koc_refuse_if_referred_to();
