-- List entries as the sanctions feed announces them, for list status in reports, GraphQL and
-- public disclosure. Built from the sanctions outbox only, never from sanctions' tables.
CREATE TABLE query.list_entries (
  subject_key bytea NOT NULL,
  entry_id text NOT NULL,
  list_kind text NOT NULL,
  domain text NOT NULL,
  status text NOT NULL,
  valid_from timestamptz,
  valid_until timestamptz,
  end_reason text,
  measures text[] NOT NULL,
  updated_at timestamptz NOT NULL,
  PRIMARY KEY (subject_key, entry_id)
);
