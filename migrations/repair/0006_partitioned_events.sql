-- The outbox grows without end, so it becomes a table partitioned by month of created_at
-- (docs/scaling.md, "Partitioned append-only tables"): the partition keeper creates months ahead,
-- and retention detaches whole months that every reader of the feed and the replay window have
-- passed, instead of deleting rows. The primary key takes the partition column, as PostgreSQL
-- requires; (subject_key, seq) stays unique because seq is one sequence. An identity column
-- cannot sit on a partitioned table before PostgreSQL 17, so seq draws on a plain sequence that
-- continues where the identity stopped. Rows dated outside every month (a clock far off) land in
-- the default partition rather than failing the write.
ALTER TABLE repair.events RENAME TO events_unpartitioned;
ALTER INDEX repair.events_feed_idx RENAME TO events_unpartitioned_feed_idx;
ALTER INDEX repair.events_pkey RENAME TO events_unpartitioned_pkey;

CREATE SEQUENCE repair.events_seq AS bigint;
CREATE TABLE repair.events (
  tx_id xid8 NOT NULL DEFAULT pg_current_xact_id(),
  seq bigint NOT NULL DEFAULT nextval('repair.events_seq'),
  event_id uuid NOT NULL,
  type text NOT NULL,
  subject_key bytea NOT NULL,
  aggregate_id text NOT NULL,
  payload jsonb NOT NULL,
  created_at timestamptz NOT NULL,
  PRIMARY KEY (subject_key, seq, created_at)
) PARTITION BY RANGE (created_at);
ALTER SEQUENCE repair.events_seq OWNED BY repair.events.seq;
CREATE INDEX events_feed_idx ON repair.events (tx_id, seq);
CREATE TABLE repair.events_default PARTITION OF repair.events DEFAULT;

-- A month for every month that holds events, and for this month and the next three.
DO $$
DECLARE
  month timestamp;
BEGIN
  FOR month IN
    SELECT DISTINCT date_trunc('month', created_at AT TIME ZONE 'UTC') FROM repair.events_unpartitioned
    UNION
    SELECT date_trunc('month', now() AT TIME ZONE 'UTC') + make_interval(months => n) FROM generate_series(0, 3) AS n
  LOOP
    EXECUTE format('CREATE TABLE repair.%I PARTITION OF repair.events FOR VALUES FROM (%L) TO (%L)',
      'events_p' || to_char(month, 'YYYYMM'), month AT TIME ZONE 'UTC', (month + interval '1 month') AT TIME ZONE 'UTC');
  END LOOP;
END
$$;

INSERT INTO repair.events (tx_id, seq, event_id, type, subject_key, aggregate_id, payload, created_at)
  SELECT tx_id, seq, event_id, type, subject_key, aggregate_id, payload, created_at FROM repair.events_unpartitioned;
SELECT setval('repair.events_seq', coalesce((SELECT max(seq) FROM repair.events), 0) + 1, false);
DROP TABLE repair.events_unpartitioned;
CREATE TRIGGER events_append_only BEFORE UPDATE OR DELETE ON repair.events
  FOR EACH ROW EXECUTE FUNCTION repair.refuse_change();
