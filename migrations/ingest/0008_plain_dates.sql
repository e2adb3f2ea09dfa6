-- A fact dated by a plain date (occurredAt "2026-11-20") is kept as that date and read back as
-- it, not as the instant its day began in Shanghai (2026-11-19T16:00:00Z). occurred_at stays the
-- instant used for ordering and arithmetic; occurred_on holds the date when one was sent. Versions
-- written before this migration committed to the instant and keep reading back as it.
ALTER TABLE ingest.record_versions ADD COLUMN occurred_on date;
