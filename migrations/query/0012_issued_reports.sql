-- Issued credit reports (信用报告), so a recipient can check one by its number and code
-- (GET /v1/reports/{number}/verification) and the subject can see who received which report.

-- One row per signed report the platform issued (REST or GraphQL, JSON or PDF: the same report).
-- A recipient holds only the number, so the number is the key; the table holds no content,
-- only the digest of it and the subject as the public may see it named. Partitionable by a hash
-- of the number, which is random (80 bits) and so spreads evenly.
CREATE TABLE query.issued_reports (
  report_id text PRIMARY KEY,
  subject_key bytea NOT NULL,
  issued_at timestamptz NOT NULL,
  audience text NOT NULL,
  recipient_role text NOT NULL,
  recipient_org text,
  purpose text,
  subject_label text NOT NULL,
  digest bytea NOT NULL,
  key_id text NOT NULL
);
CREATE TRIGGER issued_reports_append_only BEFORE UPDATE OR DELETE ON query.issued_reports
  FOR EACH ROW EXECUTE FUNCTION query.refuse_change();

-- The access log names the content digest of the report each logged read issued. Older entries
-- have none, and their hashes were computed without it: the chain hashes the digest only where
-- there is one.
ALTER TABLE query.access_log ADD COLUMN report_digest bytea;
