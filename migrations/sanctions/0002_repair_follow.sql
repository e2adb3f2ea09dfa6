-- Official calendar years loaded by the credit office (announced on the repair feed), so the
-- objection windows of list proposals can be computed into years the holiday package lacks.
CREATE TABLE sanctions.calendar_years (
  year integer PRIMARY KEY,
  holidays text[] NOT NULL,
  workdays text[] NOT NULL,
  loaded_at timestamptz NOT NULL
);
