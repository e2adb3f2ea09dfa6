-- The intermediaries' disclosure column (专栏公示 / 专版曝光, seeds/003 三(一)): agencies as the
-- ingest feed registers them (identity in query.subjects) and their accepted declarations.
CREATE TABLE query.intermediaries (
  subject_key bytea PRIMARY KEY,
  industry text NOT NULL,
  department text NOT NULL,
  registered_at timestamptz NOT NULL
);
CREATE INDEX intermediaries_by_industry ON query.intermediaries (industry, subject_key);

CREATE TABLE query.intermediary_declarations (
  subject_key bytea NOT NULL,
  declaration_id text NOT NULL,
  content jsonb NOT NULL,
  commitment jsonb NOT NULL,
  department text NOT NULL,
  accepted_at timestamptz NOT NULL,
  PRIMARY KEY (subject_key, declaration_id)
);
