-- The outbox grows without end, so it becomes a table partitioned by month of created_at
-- (docs/scaling.md, "Partitioned append-only tables"): the partition keeper creates months ahead,
-- and retention detaches whole months that every reader of the feed and the replay window have
-- passed, instead of deleting rows. The primary key takes the partition column, as PostgreSQL
-- requires; (subject_key, seq) stays unique because seq is one sequence. An identity column
-- cannot sit on a partitioned table before PostgreSQL 17, so seq draws on a plain sequence that
-- continues where the identity stopped. Rows dated outside every month (a clock far off) land in
-- the default partition rather than failing the write.
ALTER TABLE ingest.events RENAME TO events_unpartitioned;
ALTER INDEX ingest.events_feed_idx RENAME TO events_unpartitioned_feed_idx;
ALTER INDEX ingest.events_pkey RENAME TO events_unpartitioned_pkey;

CREATE SEQUENCE ingest.events_seq AS bigint;
CREATE TABLE ingest.events (
  tx_id xid8 NOT NULL DEFAULT pg_current_xact_id(),
  seq bigint NOT NULL DEFAULT nextval('ingest.events_seq'),
  event_id uuid NOT NULL,
  type text NOT NULL,
  subject_key bytea NOT NULL,
  aggregate_id text NOT NULL,
  payload jsonb NOT NULL,
  created_at timestamptz NOT NULL,
  PRIMARY KEY (subject_key, seq, created_at)
) PARTITION BY RANGE (created_at);
ALTER SEQUENCE ingest.events_seq OWNED BY ingest.events.seq;
CREATE INDEX events_feed_idx ON ingest.events (tx_id, seq);
CREATE TABLE ingest.events_default PARTITION OF ingest.events DEFAULT;

-- A month for every month that holds events, and for this month and the next three.
DO $$
DECLARE
  month timestamp;
BEGIN
  FOR month IN
    SELECT DISTINCT date_trunc('month', created_at AT TIME ZONE 'UTC') FROM ingest.events_unpartitioned
    UNION
    SELECT date_trunc('month', now() AT TIME ZONE 'UTC') + make_interval(months => n) FROM generate_series(0, 3) AS n
  LOOP
    EXECUTE format('CREATE TABLE ingest.%I PARTITION OF ingest.events FOR VALUES FROM (%L) TO (%L)',
      'events_p' || to_char(month, 'YYYYMM'), month AT TIME ZONE 'UTC', (month + interval '1 month') AT TIME ZONE 'UTC');
  END LOOP;
END
$$;

INSERT INTO ingest.events (tx_id, seq, event_id, type, subject_key, aggregate_id, payload, created_at)
  SELECT tx_id, seq, event_id, type, subject_key, aggregate_id, payload, created_at FROM ingest.events_unpartitioned;
SELECT setval('ingest.events_seq', coalesce((SELECT max(seq) FROM ingest.events), 0) + 1, false);
DROP TABLE ingest.events_unpartitioned;

-- A trigger cloned onto a partition sees the partition's name in TG_TABLE_NAME (events_p202612),
-- so the triggers name their logical table as an argument. The function is otherwise as
-- migrations/ingest/0007 left it.
CREATE OR REPLACE FUNCTION ingest.permit_declared_change() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  logical_table text := coalesce(TG_ARGV[0], TG_TABLE_NAME);
BEGIN
  IF TG_OP <> 'UPDATE' THEN
    RAISE EXCEPTION 'ingest.% is append-only', logical_table USING ERRCODE = '55000';
  END IF;

  IF current_setting('credit.erasure', true) = 'on' THEN
    -- Nested, not AND-ed: a condition naming another table's columns would not even compile here.
    IF logical_table = 'record_versions' THEN
      -- The severity and the free-text reason go with the content; everything the chain and the
      -- log vouch for stays.
      IF ROW(NEW.subject_key, NEW.record_id, NEW.version, NEW.operation, NEW.status, NEW.provider_code,
             NEW.category, NEW.subject_kind, NEW.occurred_at, NEW.received_at,
             NEW.publicity, NEW.display_until, NEW.key_id, NEW.reason_code,
             NEW.content_commitment, NEW.prev_hash, NEW.hash)
         IS DISTINCT FROM
         ROW(OLD.subject_key, OLD.record_id, OLD.version, OLD.operation, OLD.status, OLD.provider_code,
             OLD.category, OLD.subject_kind, OLD.occurred_at, OLD.received_at,
             OLD.publicity, OLD.display_until, OLD.key_id, OLD.reason_code,
             OLD.content_commitment, OLD.prev_hash, OLD.hash)
         OR (NEW.severity IS NOT NULL AND NEW.severity IS DISTINCT FROM OLD.severity)
         OR (NEW.reason IS NOT NULL AND NEW.reason IS DISTINCT FROM OLD.reason)
         OR OLD.erased_at IS NOT NULL OR NEW.erased_at IS NULL THEN
        RAISE EXCEPTION 'an erasure may only remove content from ingest.%', logical_table USING ERRCODE = '55000';
      END IF;
    ELSIF logical_table = 'events' THEN
      IF ROW(NEW.tx_id, NEW.seq, NEW.event_id, NEW.type, NEW.subject_key, NEW.aggregate_id, NEW.created_at)
         IS DISTINCT FROM
         ROW(OLD.tx_id, OLD.seq, OLD.event_id, OLD.type, OLD.subject_key, OLD.aggregate_id, OLD.created_at) THEN
        RAISE EXCEPTION 'an erasure may only remove content from ingest.%', logical_table USING ERRCODE = '55000';
      END IF;
    END IF;
    RETURN NEW;
  END IF;

  IF current_setting('credit.rewrap', true) = 'on' THEN
    -- Whole-row comparisons, so a column added later is covered without touching this function.
    IF logical_table = 'record_versions' THEN
      IF (to_jsonb(NEW) - 'subject_name_cipher' - 'key_id' - 'related_persons')
           IS DISTINCT FROM (to_jsonb(OLD) - 'subject_name_cipher' - 'key_id' - 'related_persons')
         OR ingest.related_without_ciphers(NEW.related_persons)
           IS DISTINCT FROM ingest.related_without_ciphers(OLD.related_persons) THEN
        RAISE EXCEPTION 'a rewrap may only re-encrypt ciphertexts in ingest.%', logical_table USING ERRCODE = '55000';
      END IF;
    ELSIF logical_table = 'events' THEN
      IF (to_jsonb(NEW) - 'payload') IS DISTINCT FROM (to_jsonb(OLD) - 'payload')
         OR (NEW.payload #- '{subject,keyId}' #- '{subject,identifierCipher}' #- '{subject,nameCipher}')
           IS DISTINCT FROM (OLD.payload #- '{subject,keyId}' #- '{subject,identifierCipher}' #- '{subject,nameCipher}') THEN
        RAISE EXCEPTION 'a rewrap may only re-encrypt ciphertexts in ingest.%', logical_table USING ERRCODE = '55000';
      END IF;
    END IF;
    RETURN NEW;
  END IF;

  RAISE EXCEPTION 'ingest.% is append-only', logical_table USING ERRCODE = '55000';
END
$$;

CREATE TRIGGER events_append_only BEFORE UPDATE OR DELETE ON ingest.events
  FOR EACH ROW EXECUTE FUNCTION ingest.permit_declared_change('events');
