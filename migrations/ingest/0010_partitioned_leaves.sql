-- The transparency log's leaves are kept for ever and grow by one per version, access and
-- decision, so they are partitioned by ranges of 2^24 leaf indexes (docs/scaling.md,
-- "Partitioned append-only tables"): every proof reads leaves by index, which prunes to one
-- range, and each range is a heap of bounded size for vacuum, backup and a future move to
-- other storage. The partition keeper creates the next range before the log reaches it; the
-- default partition only catches a log that outran the keeper.
ALTER TABLE ingest.log_leaves RENAME TO log_leaves_unpartitioned;
ALTER INDEX ingest.log_leaves_pkey RENAME TO log_leaves_unpartitioned_pkey;

CREATE TABLE ingest.log_leaves (
  leaf_index bigint PRIMARY KEY,
  leaf_hash bytea NOT NULL,
  leaf_input bytea NOT NULL,
  kind text NOT NULL CHECK (kind IN ('record.version', 'access', 'decision', 'tombstone')),
  subtree_hashes bytea NOT NULL,
  appended_at timestamptz NOT NULL
) PARTITION BY RANGE (leaf_index);
CREATE TABLE ingest.log_leaves_default PARTITION OF ingest.log_leaves DEFAULT;

-- Every range up to the one after the last leaf.
DO $$
DECLARE
  width constant bigint := 16777216;
  range_no bigint;
BEGIN
  FOR range_no IN
    SELECT generate_series(0, coalesce((SELECT max(leaf_index) FROM ingest.log_leaves_unpartitioned), 0) / width + 1)
  LOOP
    EXECUTE format('CREATE TABLE ingest.%I PARTITION OF ingest.log_leaves FOR VALUES FROM (%s) TO (%s)',
      'log_leaves_r' || range_no, range_no * width, (range_no + 1) * width);
  END LOOP;
END
$$;

INSERT INTO ingest.log_leaves (leaf_index, leaf_hash, leaf_input, kind, subtree_hashes, appended_at)
  SELECT leaf_index, leaf_hash, leaf_input, kind, subtree_hashes, appended_at FROM ingest.log_leaves_unpartitioned;
DROP TABLE ingest.log_leaves_unpartitioned;

CREATE TRIGGER log_leaves_append_only BEFORE UPDATE OR DELETE ON ingest.log_leaves
  FOR EACH ROW EXECUTE FUNCTION ingest.refuse_change();
CREATE TRIGGER log_leaves_no_truncate BEFORE TRUNCATE ON ingest.log_leaves
  FOR EACH STATEMENT EXECUTE FUNCTION ingest.refuse_change();
