-- What the repair service's decisions mark on a record: disputed while an objection is open,
-- withheld from everyone but the subject once an objection is upheld (暂时屏蔽) until a version
-- received after that decision (the correction) lands, repaired. The marks live apart from the
-- projected row so that a decision that reaches this service before the record itself is applied
-- when the record is projected; the row carries a copy for reads.
CREATE TABLE query.record_marks (
  subject_key bytea NOT NULL,
  record_id text NOT NULL,
  disputed boolean NOT NULL DEFAULT false,
  withheld_since timestamptz,
  repaired_at timestamptz,
  updated_at timestamptz NOT NULL,
  PRIMARY KEY (subject_key, record_id)
);

ALTER TABLE query.records ADD COLUMN withheld_since timestamptz;

INSERT INTO query.record_marks (subject_key, record_id, disputed, repaired_at, updated_at)
SELECT subject_key, record_id, disputed, repaired_at, now() FROM query.records
WHERE disputed OR repaired_at IS NOT NULL;
