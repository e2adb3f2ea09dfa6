-- The daily pass evaluates only the subjects whose outcome could have changed by time alone
-- (docs/lists-and-grades.md, "The daily pass"): each evaluation stores the next instant at which
-- that can happen (a record's display end, a record leaving a rule's window, a new year for grades,
-- an entry's validity end), and a change to a subject's entries makes it due at once. NULL: nothing
-- of the subject changes with time alone under the rules it was evaluated with. Keyed by subject
-- like the rest of a subject's rows; the pass walks the partial index by (due_at, subject_key).
CREATE TABLE sanctions.evaluation_due (
  subject_key bytea PRIMARY KEY,
  due_at timestamptz
);
CREATE INDEX evaluation_due_idx ON sanctions.evaluation_due (due_at, subject_key) WHERE due_at IS NOT NULL;

-- The active rule versions the stored due instants were worked out under. When the active rules
-- differ, the next pass evaluates every subject with records, as it did every day before this
-- table, and then records the rules it evaluated with. It starts empty, so the first pass after
-- this migration evaluates every existing subject once without this migration writing a row per
-- subject.
CREATE TABLE sanctions.evaluated_rules (
  code text NOT NULL,
  version integer NOT NULL,
  PRIMARY KEY (code, version)
);
