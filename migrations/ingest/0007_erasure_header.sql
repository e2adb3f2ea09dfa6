-- Erasure takes the severity and the free-text reason with the content: after an upheld
-- objection, an erased version (and the withdrawal that carried its content forward) still told
-- the provider how severe the wrong item was and, in the department's own words, what it said.
-- An erased version's chain hash is no longer recomputed from its header; it is vouched for by
-- its log leaf (which holds the hash) and by the next version's link. The rest of the function is
-- as migrations/ingest/0004 left it.

CREATE OR REPLACE FUNCTION ingest.permit_declared_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP <> 'UPDATE' THEN
    RAISE EXCEPTION 'ingest.% is append-only', TG_TABLE_NAME USING ERRCODE = '55000';
  END IF;

  IF current_setting('credit.erasure', true) = 'on' THEN
    -- Nested, not AND-ed: a condition naming another table's columns would not even compile here.
    IF TG_TABLE_NAME = 'record_versions' THEN
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
