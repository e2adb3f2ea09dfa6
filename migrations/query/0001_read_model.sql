-- The query service: a read model built from the ingest feed (never from ingest's tables),
-- the registries of agencies and government departments, authorisations, and the access log.

CREATE SCHEMA IF NOT EXISTS query;

CREATE OR REPLACE FUNCTION query.refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'query.% is append-only', TG_TABLE_NAME USING ERRCODE = '55000';
END
$$;

-- Where each consumer has read up to, per source feed.
CREATE TABLE query.event_cursors (
  consumer text NOT NULL,
  source text NOT NULL,
  tx_id xid8 NOT NULL,
  seq bigint NOT NULL,
  updated_at timestamptz NOT NULL,
  PRIMARY KEY (consumer, source)
);

-- Each subject's identity as the feed carries it: encrypted, keyed by the blind index.
CREATE TABLE query.subjects (
  subject_key bytea PRIMARY KEY,
  kind text NOT NULL,
  identifier_cipher bytea NOT NULL,
  name_cipher bytea NOT NULL,
  key_id text NOT NULL,
  updated_at timestamptz NOT NULL
);

-- The newest version of every record. Upserts only move forward (version-monotonic), so a
-- feed delivered again or slightly out of order cannot roll a record back.
CREATE TABLE query.records (
  subject_key bytea NOT NULL,
  record_id text NOT NULL,
  version integer NOT NULL,
  status text NOT NULL,
  provider_code text NOT NULL,
  source_id text NOT NULL,
  category text NOT NULL,
  class_code text NOT NULL,
  subject_kind text NOT NULL,
  occurred_at timestamptz NOT NULL,
  received_at timestamptz NOT NULL,
  severity text,
  publicity text NOT NULL,
  display_until timestamptz,
  data jsonb NOT NULL,
  related_persons jsonb NOT NULL,
  origin text NOT NULL,
  linked_from jsonb,
  reason_code text,
  reason text,
  hash text NOT NULL,
  disputed boolean NOT NULL DEFAULT false,
  repaired_at timestamptz,
  PRIMARY KEY (subject_key, record_id)
);
CREATE INDEX records_subject_class_idx ON query.records (subject_key, class_code, occurred_at DESC);

-- Licensed credit agencies (信用服务机构).
CREATE TABLE query.agencies (
  uscc text PRIMARY KEY,
  name text NOT NULL,
  licence_number text NOT NULL,
  licence_valid_until date NOT NULL,
  status text NOT NULL CHECK (status IN ('active', 'suspended')),
  status_reason text,
  created_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL
);

-- Government departments and their remit: the catalogue classes they may query.
CREATE TABLE query.departments (
  code text PRIMARY KEY,
  name text NOT NULL,
  remit text[] NOT NULL,
  status text NOT NULL CHECK (status IN ('active', 'suspended')),
  created_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL
);

-- A subject's authorisations (授权) of agencies. `uses` is the only counter that moves.
CREATE TABLE query.authorisations (
  subject_key bytea NOT NULL,
  authorisation_id text NOT NULL,
  agency_uscc text NOT NULL,
  purpose text NOT NULL,
  scope text[],
  history_from timestamptz,
  expires_at timestamptz NOT NULL,
  max_uses integer,
  uses integer NOT NULL DEFAULT 0,
  origin text NOT NULL CHECK (origin IN ('platform', 'identity_provider')),
  granted_at timestamptz NOT NULL,
  revoked_at timestamptz,
  PRIMARY KEY (subject_key, authorisation_id)
);
CREATE INDEX authorisations_agency_idx ON query.authorisations (agency_uscc);

-- 查询使用登记: every read of non-public data, append-only and hash-chained per subject.
CREATE TABLE query.access_log (
  subject_key bytea NOT NULL,
  entry_no bigint NOT NULL,
  entry_id text NOT NULL,
  accessed_at timestamptz NOT NULL,
  role text NOT NULL,
  org text,
  token_subject text NOT NULL,
  purpose text,
  authorisation_id text,
  report_id text,
  channel text NOT NULL CHECK (channel IN ('rest', 'graphql')),
  records jsonb NOT NULL,
  prev_hash bytea NOT NULL,
  hash bytea NOT NULL,
  PRIMARY KEY (subject_key, entry_no)
);
CREATE TRIGGER access_log_append_only BEFORE UPDATE OR DELETE ON query.access_log
  FOR EACH ROW EXECUTE FUNCTION query.refuse_change();
