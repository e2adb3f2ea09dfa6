-- The department whose finding of falsity a declaration carries, taken before its record is
-- written (POST /v1/intermediaries/{uscc}/declarations/{id}/falsity): of two departments finding
-- one declaration false at the same instant, one records it and the other is refused, where both
-- wrote a 严重失信 record of the same facts before. A finding that fails before its record is
-- written gives it back; one that stopped (a crash) can be completed by the same department.
ALTER TABLE ingest.declarations ADD COLUMN finding_by text;
UPDATE ingest.declarations SET finding_by = reviewed_by WHERE status = 'found_false';
ALTER TABLE ingest.declarations ADD CONSTRAINT declarations_found_false_by
  CHECK (status <> 'found_false' OR finding_by IS NOT NULL);
