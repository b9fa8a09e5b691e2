-- koc schema version 5: history's arrays compressed with LZ4.
--
-- A processed batch's history row holds its operations' ids, outcomes,
-- messages and warnings as arrays, about 150 kB for a batch of 5 000,
-- which PostgreSQL compresses as it stores them. Its default method, pglz,
-- took 6.7 ms of the writing statement per batch (1.34 s for the 199
-- batches of 1 000 000 operations, on the processing run's critical path);
-- LZ4 takes 0.35 ms, for rows about 40% larger (6.5 MB -> 9 MB for the
-- million). Rows already stored keep their pglz: PostgreSQL reads both.
--
-- A server built without LZ4 refuses the method (feature_not_supported):
-- history then stays with pglz, as before, and works the same.
DO $$
BEGIN
    ALTER TABLE history_batches
        ALTER COLUMN operations SET COMPRESSION lz4,
        ALTER COLUMN operation_ids SET COMPRESSION lz4,
        ALTER COLUMN outcomes SET COMPRESSION lz4,
        ALTER COLUMN messages SET COMPRESSION lz4,
        ALTER COLUMN warnings SET COMPRESSION lz4;
EXCEPTION WHEN feature_not_supported THEN
    RAISE NOTICE 'this server has no LZ4: history stays compressed with pglz';
END
$$;
