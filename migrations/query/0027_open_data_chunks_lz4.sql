-- A file's chunks are compressed by the server with lz4, where it is built with it: a cut wrote
-- its files' bytes uncompressed and out of line (0018), 1.6 times the public rows as COPY text,
-- and storing them (with their WAL) was the larger part of the database's work in a cut. The
-- files are CSV and JSON Lines of repeated column names and codes, which lz4 shrinks about
-- sevenfold for less processor time than writing the difference costs. A range is still read
-- from the whole chunks it spans, and decompressing a 1 MiB chunk is cheap beside sending it.
-- Chunks stored before stay as they are (the setting applies to values written after it). A
-- server built without lz4 (embedded PGlite) keeps them uncompressed rather than fall back to
-- pglz, which compresses several times slower than lz4 (not measured here).
DO $$
BEGIN
  IF EXISTS (
    SELECT 1 FROM pg_settings
    WHERE name = 'default_toast_compression' AND 'lz4' = ANY (enumvals)
  ) THEN
    ALTER TABLE query.open_data_chunks ALTER COLUMN content SET STORAGE EXTENDED;
    ALTER TABLE query.open_data_chunks ALTER COLUMN content SET COMPRESSION lz4;
  END IF;
END
$$;
