-- The organisation-name projection now also follows intermediary.registered: an agency is found by
-- the name its supervising department registered it under (GET /v1/public/search, the
-- intermediaries' column) before any record carries it. The registration's name is a sighting of
-- its own (record_id 'intermediary.registered', version 0), which no erasure names, so erasing the
-- records that carried the same name leaves it found and erasing others' names works as before.
-- Registrations announced before this are picked up by reading the feed again: every write of the
-- projection is idempotent (sightings once each, names merged, n-grams counted for new names only).
DELETE FROM query.event_cursors WHERE consumer = 'query-organisation-names';
