-- The name index's terms become character pairs adjacent and one or two apart (nameGrams in
-- packages/schema), no single characters: a one- or two-character typo in a name breaks the
-- pairs it is part of but leaves its neighbours paired across it, so it still shares a term held
-- by a few hundred names with the name meant, where before it shared only single characters held
-- by tens of thousands at 1,000,000 organisations and was lost in the look-up's cut (issue #18).
-- The rows are rebuilt from the feed by the same function that reads queries, as in 0014.
TRUNCATE query.organisation_names, query.organisation_name_sightings, query.name_gram_counts;
DELETE FROM query.event_cursors WHERE consumer = 'query-organisation-names';
