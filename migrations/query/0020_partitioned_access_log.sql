-- 查询使用登记 grows with every read of non-public data, for ever, so it becomes a table
-- partitioned by month of accessed_at (docs/scaling.md, "Partitioned append-only tables"). A
-- subject's recent entries are read within one month's partition; the newest entry of each
-- subject, which every append links onto, is kept in access_log_heads so an append reads one row
-- instead of probing every month. Entries dated outside every month (a clock far off) land in the
-- default partition rather than failing the read they log.
ALTER TABLE query.access_log RENAME TO access_log_unpartitioned;
ALTER INDEX query.access_log_pkey RENAME TO access_log_unpartitioned_pkey;

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
  report_digest bytea,
  PRIMARY KEY (subject_key, entry_no, accessed_at)
) PARTITION BY RANGE (accessed_at);
CREATE TABLE query.access_log_default PARTITION OF query.access_log DEFAULT;

-- A month for every month that holds entries, and for this month and the next three.
DO $$
DECLARE
  month timestamp;
BEGIN
  FOR month IN
    SELECT DISTINCT date_trunc('month', accessed_at AT TIME ZONE 'UTC') FROM query.access_log_unpartitioned
    UNION
    SELECT date_trunc('month', now() AT TIME ZONE 'UTC') + make_interval(months => n) FROM generate_series(0, 3) AS n
  LOOP
    EXECUTE format('CREATE TABLE query.%I PARTITION OF query.access_log FOR VALUES FROM (%L) TO (%L)',
      'access_log_p' || to_char(month, 'YYYYMM'), month AT TIME ZONE 'UTC', (month + interval '1 month') AT TIME ZONE 'UTC');
  END LOOP;
END
$$;

INSERT INTO query.access_log (subject_key, entry_no, entry_id, accessed_at, role, org, token_subject, purpose,
    authorisation_id, report_id, channel, records, prev_hash, hash, report_digest)
  SELECT subject_key, entry_no, entry_id, accessed_at, role, org, token_subject, purpose,
    authorisation_id, report_id, channel, records, prev_hash, hash, report_digest
  FROM query.access_log_unpartitioned;

-- The newest entry of each subject: what the next entry links onto, and where a newest-first
-- read starts.
CREATE TABLE query.access_log_heads (
  subject_key bytea PRIMARY KEY,
  entry_no bigint NOT NULL,
  hash bytea NOT NULL,
  accessed_at timestamptz NOT NULL
);
INSERT INTO query.access_log_heads (subject_key, entry_no, hash, accessed_at)
  SELECT DISTINCT ON (subject_key) subject_key, entry_no, hash, accessed_at
  FROM query.access_log_unpartitioned
  ORDER BY subject_key, entry_no DESC;

DROP TABLE query.access_log_unpartitioned;
CREATE TRIGGER access_log_append_only BEFORE UPDATE OR DELETE ON query.access_log
  FOR EACH ROW EXECUTE FUNCTION query.refuse_change();
