-- An industry evaluation's grade stands until its validUntil (docs/lists-and-grades.md), and the
-- intermediaries' column, the subject's grades and reports show it as current only until then: the
-- grade state keeps the instant. NULL for a grade rule's grade, which stands by its year.
-- Evaluations announced before this are given theirs by reading the grade events again: the
-- projection keeps each change once (by event id) and moves a grade only forward, so a replay
-- changes nothing but the new column.
ALTER TABLE query.grades ADD COLUMN valid_until timestamptz;
DELETE FROM query.event_cursors WHERE consumer = 'query-grades';
