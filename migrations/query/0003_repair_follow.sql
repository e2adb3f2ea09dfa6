-- Agencies and departments that took a report containing a record later repaired are told so
-- (信用修复结果告知): one notice per recipient organisation and record.
CREATE TABLE query.recipient_notices (
  org text NOT NULL,
  notice_id text NOT NULL,
  role text NOT NULL,
  subject_key bytea NOT NULL,
  record_id text NOT NULL,
  kind text NOT NULL,
  occurred_at timestamptz NOT NULL,
  created_at timestamptz NOT NULL,
  PRIMARY KEY (org, notice_id)
);
CREATE UNIQUE INDEX recipient_notices_once_idx ON query.recipient_notices (org, record_id, kind);
