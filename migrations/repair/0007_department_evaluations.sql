-- Evaluations come from grade rules (the sanctions service corrects them itself when an objection
-- is upheld) or from a supervising department's industry evaluation (信用评价, seeds/003 四(五)),
-- which the department corrects and re-publishes within 3 working days (四(七)): an upheld
-- objection to one waits for that correction, as one to a record waits for its provider.
ALTER TABLE repair.evaluations
  ADD COLUMN corrected_by text NOT NULL DEFAULT 'sanctions' CHECK (corrected_by IN ('sanctions', 'department'));
