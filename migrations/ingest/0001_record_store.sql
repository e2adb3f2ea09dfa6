-- The ingest service's record store. Subject-scoped tables lead with subject_key, the keyed
-- HMAC blind index of the subject's identifier, which is also the distribution column when the
-- platform is sharded; no foreign key crosses between tables, so every table can be distributed.

CREATE SCHEMA IF NOT EXISTS ingest;

-- Tables that are history must stay history: refuse UPDATE, DELETE and TRUNCATE outright.
CREATE OR REPLACE FUNCTION ingest.refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'ingest.% is append-only', TG_TABLE_NAME USING ERRCODE = '55000';
END
$$;

-- Providing departments (信息提供主体) and the catalogue entries each may push.
CREATE TABLE ingest.providers (
  code text PRIMARY KEY,
  name text NOT NULL,
  categories text[] NOT NULL,
  status text NOT NULL CHECK (status IN ('active', 'suspended')),
  revision integer NOT NULL,
  created_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL
);

-- Every state the registry entry has had, and who set it.
CREATE TABLE ingest.provider_revisions (
  code text NOT NULL,
  revision integer NOT NULL,
  name text NOT NULL,
  categories text[] NOT NULL,
  status text NOT NULL,
  changed_by text NOT NULL,
  changed_at timestamptz NOT NULL,
  PRIMARY KEY (code, revision)
);
CREATE TRIGGER provider_revisions_append_only BEFORE UPDATE OR DELETE ON ingest.provider_revisions
  FOR EACH ROW EXECUTE FUNCTION ingest.refuse_change();

-- One row per subject ever recorded: the identifier, encrypted (AES-256-GCM, AAD = subject_key).
CREATE TABLE ingest.subjects (
  subject_key bytea PRIMARY KEY,
  kind text NOT NULL,
  identifier_cipher bytea NOT NULL,
  key_id text NOT NULL,
  created_at timestamptz NOT NULL
);

-- The record directory: one immutable row per record. record_id is derived from the provider
-- and its sourceId under a secret key, so the idempotency lookup is a primary-key probe.
CREATE TABLE ingest.records (
  record_id text PRIMARY KEY,
  subject_key bytea NOT NULL,
  provider_code text NOT NULL,
  source_id text NOT NULL,
  category text NOT NULL,
  subject_kind text NOT NULL,
  origin text NOT NULL CHECK (origin IN ('pushed', 'linked')),
  parent_record_id text,
  related_role text,
  created_at timestamptz NOT NULL
);
CREATE INDEX records_subject_idx ON ingest.records (subject_key);
CREATE INDEX records_parent_idx ON ingest.records (parent_record_id) WHERE parent_record_id IS NOT NULL;
CREATE TRIGGER records_append_only BEFORE UPDATE OR DELETE ON ingest.records
  FOR EACH ROW EXECUTE FUNCTION ingest.refuse_change();

-- Append-only versions. hash = H(prev_hash, header) where the header holds the salted
-- commitment to the content; the content may one day be erased lawfully, the chain stays.
CREATE TABLE ingest.record_versions (
  subject_key bytea NOT NULL,
  record_id text NOT NULL,
  version integer NOT NULL CHECK (version > 0),
  operation text NOT NULL CHECK (operation IN ('create', 'correct', 'withdraw')),
  status text NOT NULL CHECK (status IN ('active', 'withdrawn')),
  provider_code text NOT NULL,
  category text NOT NULL,
  subject_kind text NOT NULL,
  occurred_at timestamptz NOT NULL,
  received_at timestamptz NOT NULL,
  severity text CHECK (severity IN ('minor', 'general', 'serious')),
  publicity text NOT NULL CHECK (publicity IN ('public', 'authorised', 'government')),
  display_until timestamptz,
  subject_name_cipher bytea NOT NULL,
  key_id text NOT NULL,
  data jsonb,
  related_persons jsonb NOT NULL,
  consent_ref text,
  reason_code text,
  reason text,
  fingerprint bytea NOT NULL,
  content_salt bytea,
  content_commitment bytea NOT NULL,
  prev_hash bytea NOT NULL,
  hash bytea NOT NULL,
  PRIMARY KEY (subject_key, record_id, version)
);
CREATE INDEX record_versions_provider_received_idx ON ingest.record_versions (provider_code, received_at);
CREATE TRIGGER record_versions_append_only BEFORE UPDATE OR DELETE ON ingest.record_versions
  FOR EACH ROW EXECUTE FUNCTION ingest.refuse_change();

-- Written consents (书面同意) for consent-gated fields, and their revocations.
CREATE TABLE ingest.consents (
  subject_key bytea NOT NULL,
  consent_id text NOT NULL,
  provider_code text NOT NULL,
  fields text[] NOT NULL,
  purpose text NOT NULL,
  registered_by text NOT NULL CHECK (registered_by IN ('subject', 'provider')),
  registered_by_org text,
  evidence_hash bytea,
  valid_until timestamptz,
  created_at timestamptz NOT NULL,
  PRIMARY KEY (subject_key, consent_id)
);
CREATE TRIGGER consents_append_only BEFORE UPDATE OR DELETE ON ingest.consents
  FOR EACH ROW EXECUTE FUNCTION ingest.refuse_change();

CREATE TABLE ingest.consent_revocations (
  subject_key bytea NOT NULL,
  consent_id text NOT NULL,
  revoked_at timestamptz NOT NULL,
  revoked_by text NOT NULL,
  PRIMARY KEY (subject_key, consent_id)
);

-- Outcomes that leave no record version behind (refusals, identical resubmissions), for the
-- per-provider statistics. No payload, no values: only where and why.
CREATE TABLE ingest.intake_outcomes (
  provider_code text NOT NULL,
  received_at timestamptz NOT NULL,
  outcome text NOT NULL CHECK (outcome IN ('refused', 'unchanged')),
  category text,
  code text,
  source_id text,
  paths text[]
);
CREATE INDEX intake_outcomes_provider_idx ON ingest.intake_outcomes (provider_code, received_at);

-- The ingest outbox; see packages/events for how the feed stays gap-free.
CREATE TABLE ingest.events (
  tx_id xid8 NOT NULL DEFAULT pg_current_xact_id(),
  seq bigint GENERATED ALWAYS AS IDENTITY,
  event_id uuid NOT NULL,
  type text NOT NULL,
  subject_key bytea NOT NULL,
  aggregate_id text NOT NULL,
  payload jsonb NOT NULL,
  created_at timestamptz NOT NULL,
  PRIMARY KEY (subject_key, seq)
);
CREATE INDEX events_feed_idx ON ingest.events (tx_id, seq);
CREATE TRIGGER events_append_only BEFORE UPDATE OR DELETE ON ingest.events
  FOR EACH ROW EXECUTE FUNCTION ingest.refuse_change();
