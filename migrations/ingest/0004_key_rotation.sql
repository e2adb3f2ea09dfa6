-- Key rotation. Ciphertexts of names and identity numbers sit in append-only rows (record
-- versions, the outbox), but nothing that is hashed or logged covers them: the chain commits to
-- names as keyed MACs, the log to commitments and chain hashes. So re-encrypting them under a new
-- key (a rewrap) changes no hash. Like an erasure it must be declared —
-- SET LOCAL credit.rewrap = 'on', which `npm run rotate-keys` does in its own transactions — and
-- it may touch nothing but the ciphertexts and the ids of their keys.

-- A version's related persons with their ciphers taken out: what a rewrap must leave as it was.
CREATE OR REPLACE FUNCTION ingest.related_without_ciphers(persons jsonb) RETURNS jsonb
LANGUAGE sql IMMUTABLE AS $$
  SELECT coalesce(jsonb_agg(p - 'nameCipher' - 'keyId' ORDER BY ord), '[]'::jsonb)
  FROM jsonb_array_elements(persons) WITH ORDINALITY AS t(p, ord)
$$;

CREATE OR REPLACE FUNCTION ingest.permit_declared_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP <> 'UPDATE' THEN
    RAISE EXCEPTION 'ingest.% is append-only', TG_TABLE_NAME USING ERRCODE = '55000';
  END IF;

  IF current_setting('credit.erasure', true) = 'on' THEN
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
  END IF;

  IF current_setting('credit.rewrap', true) = 'on' THEN
    -- Whole-row comparisons, so a column added later is covered without touching this function.
    IF TG_TABLE_NAME = 'record_versions' THEN
      IF (to_jsonb(NEW) - 'subject_name_cipher' - 'key_id' - 'related_persons')
           IS DISTINCT FROM (to_jsonb(OLD) - 'subject_name_cipher' - 'key_id' - 'related_persons')
         OR ingest.related_without_ciphers(NEW.related_persons)
           IS DISTINCT FROM ingest.related_without_ciphers(OLD.related_persons) THEN
        RAISE EXCEPTION 'a rewrap may only re-encrypt ciphertexts in ingest.%', TG_TABLE_NAME USING ERRCODE = '55000';
      END IF;
    ELSIF TG_TABLE_NAME = 'events' THEN
      IF (to_jsonb(NEW) - 'payload') IS DISTINCT FROM (to_jsonb(OLD) - 'payload')
         OR (NEW.payload #- '{subject,keyId}' #- '{subject,identifierCipher}' #- '{subject,nameCipher}')
           IS DISTINCT FROM (OLD.payload #- '{subject,keyId}' #- '{subject,identifierCipher}' #- '{subject,nameCipher}') THEN
        RAISE EXCEPTION 'a rewrap may only re-encrypt ciphertexts in ingest.%', TG_TABLE_NAME USING ERRCODE = '55000';
      END IF;
    END IF;
    RETURN NEW;
  END IF;

  RAISE EXCEPTION 'ingest.% is append-only', TG_TABLE_NAME USING ERRCODE = '55000';
END
$$;

DROP TRIGGER record_versions_append_only ON ingest.record_versions;
CREATE TRIGGER record_versions_append_only BEFORE UPDATE OR DELETE ON ingest.record_versions
  FOR EACH ROW EXECUTE FUNCTION ingest.permit_declared_change();
DROP TRIGGER events_append_only ON ingest.events;
CREATE TRIGGER events_append_only BEFORE UPDATE OR DELETE ON ingest.events
  FOR EACH ROW EXECUTE FUNCTION ingest.permit_declared_change();
DROP FUNCTION ingest.permit_erasure_only();
