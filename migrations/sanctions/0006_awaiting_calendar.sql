-- A black or watch entry whose objection window ends in a year the official calendar does not
-- cover yet is created awaiting_calendar instead of being left out of the evaluation: the subject
-- is noticed, with the window counted from that day, once the year is loaded.
ALTER TABLE sanctions.list_entries DROP CONSTRAINT list_entries_status_check;
ALTER TABLE sanctions.list_entries ADD CONSTRAINT list_entries_status_check
  CHECK (status IN ('awaiting_calendar', 'noticed', 'proposed', 'published', 'rejected', 'cancelled', 'exited'));
CREATE INDEX list_entries_awaiting_calendar_idx ON sanctions.list_entries (entry_id)
  WHERE status = 'awaiting_calendar';
