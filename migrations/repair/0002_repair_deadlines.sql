-- Repair deadlines follow 国办发〔2025〕22号 §四: the application is accepted or refused within 3
-- working days of its receipt, and the applicant has the result within 10 working days of filing
-- whenever it was accepted. Cases were filed under a reversed rule (acceptance in 10, the decision
-- 3 after acceptance); the open ones are marked to have both deadlines computed again from their
-- filing date, which the repair service does when it starts (its case history and the subject's
-- notices record the new dates). A paused case keeps its pause: the working days it had left are
-- recomputed from the new deadlines as they stood on the day it was paused.
ALTER TABLE repair.repairs RENAME COLUMN decision_due_at TO result_due_at;
ALTER TABLE repair.repairs ALTER COLUMN accept_due_at DROP NOT NULL;
ALTER TABLE repair.repairs ADD COLUMN paused_result_working_days_left integer;
ALTER TABLE repair.repairs ADD COLUMN deadlines_pending boolean NOT NULL DEFAULT false;
UPDATE repair.repairs SET deadlines_pending = true
  WHERE status IN ('submitted', 'needs_supplement', 'accepted');
CREATE INDEX repairs_deadlines_pending_idx ON repair.repairs (repair_id) WHERE deadlines_pending;
