-- A supervising department lists its industry's agencies by current evaluation (graded
-- supervision, seeds/003 四(四)): each subject's newest evaluation per industry, in subject order.
CREATE INDEX industry_evaluations_industry_idx
  ON sanctions.industry_evaluations (industry, subject_key, period_to DESC, received_at DESC);
