-- A deadline the official calendar cannot compute yet (its last day falls in a year whose State
-- Council holiday notice is not loaded) is not refused: its case keeps the period here, in the
-- awaiting_calendar state, and the deadline is computed when the year is loaded (PUT
-- /v1/calendar/{year}, or a holiday package that covers it at the next start). The case's own due
-- column stays NULL meanwhile.
ALTER TABLE repair.objections ALTER COLUMN answer_due_at DROP NOT NULL;

CREATE TABLE repair.awaiting_deadlines (
  subject_key bytea NOT NULL,
  case_id text NOT NULL,
  deadline text NOT NULL CHECK (deadline IN ('answer', 'correction', 'notification', 'acceptance', 'result')),
  counted_from timestamptz NOT NULL,
  amount integer NOT NULL CHECK (amount >= 0),
  unit text NOT NULL CHECK (unit IN ('working_days', 'natural_days')),
  year integer NOT NULL,
  since timestamptz NOT NULL,
  PRIMARY KEY (subject_key, case_id, deadline)
);
CREATE INDEX awaiting_deadlines_case_idx ON repair.awaiting_deadlines (case_id);
