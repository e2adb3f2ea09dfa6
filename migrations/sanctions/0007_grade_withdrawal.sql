-- A grade whose domain no grade rule holds for any more is withdrawn, not deleted: the year keeps
-- the evaluation an objection may name, and the withdrawal stands against last year's grade (a
-- withdrawn grade of this year leaves the subject ungraded, it does not bring last year's back).
ALTER TABLE sanctions.grades ADD COLUMN withdrawn_at timestamptz;
