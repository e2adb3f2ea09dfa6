-- Which record versions carried each indexed organisation name, so a lawful erasure can take out
-- of the name search exactly the names that only erased versions carried (issue #18): a name row
-- lives while some standing version still carries it, and its span, spelling and registration
-- are those of the versions left. A version's sighting is its own row, keyed like the version.
CREATE TABLE query.organisation_name_sightings (
  subject_key bytea NOT NULL,
  record_id text NOT NULL,
  version integer NOT NULL,
  name_key text NOT NULL,
  name text NOT NULL,
  -- Whether the registering authority carried the name in this version (catalogue `namesSubject`).
  registered boolean NOT NULL,
  seen_at timestamptz NOT NULL,
  PRIMARY KEY (subject_key, record_id, version)
);
CREATE INDEX organisation_name_sightings_name_idx
  ON query.organisation_name_sightings (subject_key, name_key);

-- The index built before this knew no sightings: it is rebuilt from the feed, which still carries
-- every standing version (erased ones are marked and skipped).
TRUNCATE query.organisation_names, query.name_gram_counts;
DELETE FROM query.event_cursors WHERE consumer = 'query-organisation-names';
