-- Verifiable erasure. When content must go (its retention period is over, or an objection to it
-- was upheld), the content, its salt and the names are removed from the version rows and the
-- outbox, and a signed tombstone joins the transparency log. The commitments and the chain stay:
-- anyone can still verify the record existed, who pushed it and when, and why it was erased.

ALTER TABLE ingest.record_versions ADD COLUMN erased_at timestamptz;

-- History tables stay append-only. The one permitted update is an erasure: it must be declared
-- (SET LOCAL credit.erasure = 'on', which the erasure code does in its own transaction) and may
-- touch nothing but the erasable columns.
CREATE OR REPLACE FUNCTION ingest.permit_erasure_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP <> 'UPDATE' OR current_setting('credit.erasure', true) IS DISTINCT FROM 'on' THEN
    RAISE EXCEPTION 'ingest.% is append-only', TG_TABLE_NAME USING ERRCODE = '55000';
  END IF;
  -- Nested, not AND-ed: a condition naming another table's columns would not even compile here.
  IF TG_TABLE_NAME = 'record_versions' THEN
    IF ROW(NEW.subject_key, NEW.record_id, NEW.version, NEW.operation, NEW.status, NEW.provider_code,
           NEW.category, NEW.subject_kind, NEW.occurred_at, NEW.received_at, NEW.severity,
           NEW.publicity, NEW.display_until, NEW.key_id, NEW.reason_code, NEW.reason,
           NEW.content_commitment, NEW.prev_hash, NEW.hash)
       IS DISTINCT FROM
       ROW(OLD.subject_key, OLD.record_id, OLD.version, OLD.operation, OLD.status, OLD.provider_code,
           OLD.category, OLD.subject_kind, OLD.occurred_at, OLD.received_at, OLD.severity,
           OLD.publicity, OLD.display_until, OLD.key_id, OLD.reason_code, OLD.reason,
           OLD.content_commitment, OLD.prev_hash, OLD.hash)
       OR OLD.erased_at IS NOT NULL OR NEW.erased_at IS NULL THEN
      RAISE EXCEPTION 'an erasure may only remove content from ingest.%', TG_TABLE_NAME USING ERRCODE = '55000';
    END IF;
  ELSIF TG_TABLE_NAME = 'events' THEN
    IF ROW(NEW.tx_id, NEW.seq, NEW.event_id, NEW.type, NEW.subject_key, NEW.aggregate_id, NEW.created_at)
       IS DISTINCT FROM
       ROW(OLD.tx_id, OLD.seq, OLD.event_id, OLD.type, OLD.subject_key, OLD.aggregate_id, OLD.created_at) THEN
      RAISE EXCEPTION 'an erasure may only remove content from ingest.%', TG_TABLE_NAME USING ERRCODE = '55000';
    END IF;
  END IF;
  RETURN NEW;
END
$$;

DROP TRIGGER record_versions_append_only ON ingest.record_versions;
CREATE TRIGGER record_versions_append_only BEFORE UPDATE OR DELETE ON ingest.record_versions
  FOR EACH ROW EXECUTE FUNCTION ingest.permit_erasure_only();
DROP TRIGGER events_append_only ON ingest.events;
CREATE TRIGGER events_append_only BEFORE UPDATE OR DELETE ON ingest.events
  FOR EACH ROW EXECUTE FUNCTION ingest.permit_erasure_only();

-- Versions whose retention may run out, found without scanning the store.
CREATE INDEX record_versions_retention_idx ON ingest.record_versions (display_until)
  WHERE erased_at IS NULL AND display_until IS NOT NULL;

-- Erasures ordered by an upheld objection: carried out once the record has moved past the
-- version objected to (the department's correction or withdrawal), never before.
CREATE TABLE ingest.erasure_orders (
  subject_key bytea NOT NULL,
  record_id text NOT NULL,
  objection_id text NOT NULL,
  up_to_version integer NOT NULL,
  ordered_at timestamptz NOT NULL,
  done_at timestamptz,
  PRIMARY KEY (subject_key, record_id, objection_id)
);
CREATE INDEX erasure_orders_pending_idx ON ingest.erasure_orders (ordered_at) WHERE done_at IS NULL;

-- The signed tombstones, each also a leaf of the transparency log.
CREATE TABLE ingest.tombstones (
  subject_key bytea NOT NULL,
  record_id text NOT NULL,
  leaf_index bigint NOT NULL,
  statement text NOT NULL,
  signature text NOT NULL,
  erased_at timestamptz NOT NULL,
  PRIMARY KEY (subject_key, record_id, leaf_index)
);
CREATE TRIGGER tombstones_append_only BEFORE UPDATE OR DELETE ON ingest.tombstones
  FOR EACH ROW EXECUTE FUNCTION ingest.refuse_change();
