-- Intermediaries in administrative approval (涉审中介机构, seeds/003): which industries a department
-- supervises (as its categories say what it may push), the agencies registered with an industry,
-- their practitioners, and their declarations (信息申报) with the commitment as signed.
ALTER TABLE ingest.providers ADD COLUMN industries text[] NOT NULL DEFAULT '{}';
ALTER TABLE ingest.provider_revisions ADD COLUMN industries text[] NOT NULL DEFAULT '{}';

CREATE TABLE ingest.intermediaries (
  subject_key bytea PRIMARY KEY,
  kind text NOT NULL,
  -- An organisation's name is public (its USCC is in ingest.subjects, encrypted like every identifier).
  name text NOT NULL,
  industry text NOT NULL,
  department text NOT NULL,
  registered_at timestamptz NOT NULL
);

CREATE TABLE ingest.practitioners (
  agency_key bytea NOT NULL,
  practitioner_id text NOT NULL,
  person_key bytea NOT NULL,
  name_cipher bytea NOT NULL,
  key_id text NOT NULL,
  qualifications jsonb NOT NULL,
  responsible boolean NOT NULL,
  department text NOT NULL,
  linked_at timestamptz NOT NULL,
  PRIMARY KEY (agency_key, practitioner_id),
  UNIQUE (agency_key, person_key)
);

CREATE TABLE ingest.declarations (
  agency_key bytea NOT NULL,
  declaration_id text NOT NULL,
  industry text NOT NULL,
  status text NOT NULL CHECK (status IN ('submitted', 'accepted', 'returned', 'found_false')),
  content jsonb NOT NULL,
  commitment jsonb NOT NULL,
  submitted_at timestamptz NOT NULL,
  reviewed_at timestamptz,
  reviewed_by text,
  reasons text,
  record_ids text[] NOT NULL DEFAULT '{}',
  PRIMARY KEY (agency_key, declaration_id)
);
CREATE INDEX declarations_by_industry_status ON ingest.declarations (industry, status, declaration_id);
