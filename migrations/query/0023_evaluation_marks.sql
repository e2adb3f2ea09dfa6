-- Evaluations under objection (异议中, target type `evaluation`): an industry evaluation or a grade
-- rule's evaluation is shown disputed wherever its grade is (the subject's grades, credit reports,
-- GraphQL, the intermediaries' column) from objection.opened until objection.closed, as a record
-- is (docs/disclosure-rules.md). Followed from the repair feed by a consumer of its own
-- (query-evaluation-marks), which reads the feed from its start and so marks the objections
-- opened before this too.
CREATE TABLE query.evaluation_marks (
  subject_key bytea NOT NULL,
  evaluation_id text NOT NULL,
  disputed boolean NOT NULL,
  updated_at timestamptz NOT NULL,
  PRIMARY KEY (subject_key, evaluation_id)
);
