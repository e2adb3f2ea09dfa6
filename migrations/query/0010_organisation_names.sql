-- The names organisations are found by (GET /v1/public/search, POST /v1/screening): current and
-- former (曾用名) names, built from the ingest feed like the other read models, never from
-- ingest's tables. Organisations only: a natural person's name is never indexed (docs/security.md),
-- so no route can find a person by name. An organisation's name and USCC are public registration
-- facts, so they are kept here in the clear, normalised by packages/schema's
-- normaliseOrganisationName (the same function that reads queries).
CREATE TABLE query.organisation_names (
  subject_key bytea NOT NULL,
  -- The normalised name (core and branch part): names differing only in dress share one row.
  name_key text NOT NULL,
  name text NOT NULL,
  uscc text NOT NULL,
  kind text NOT NULL,
  core text NOT NULL,
  regions text[] NOT NULL,
  legal_form text,
  branch text,
  -- The characters and character pairs of the core (nameGrams).
  grams text[] NOT NULL,
  -- When a standing record of the registering authority (catalogue `namesSubject`) last carried
  -- this name; NULL for a name only other departments used.
  registered_at timestamptz,
  -- The subject's current name by the rule of its identity (the registering authority's newest
  -- name, else the first seen); the other registered names are its former names.
  is_current boolean NOT NULL DEFAULT false,
  first_seen timestamptz NOT NULL,
  last_seen timestamptz NOT NULL,
  PRIMARY KEY (subject_key, name_key)
);
-- Character n-grams rather than pg_trgm: a one-character slip in a four-character core leaves
-- 1 of 9 trigrams shared (similarity 0.11) but 3 of 4 characters (docs/scaling.md). Only the
-- names a search may answer with are indexed.
CREATE INDEX organisation_names_grams_idx ON query.organisation_names USING gin (grams)
  WHERE registered_at IS NOT NULL OR is_current;
CREATE INDEX organisation_names_key_idx ON query.organisation_names (name_key)
  WHERE registered_at IS NOT NULL OR is_current;
CREATE INDEX organisation_names_uscc_idx ON query.organisation_names (uscc text_pattern_ops);

-- How many indexed names hold each n-gram: a query is looked up by its rarer n-grams, so a
-- common word (陶瓷, 科技) never drags a hundred thousand candidates in.
CREATE TABLE query.name_gram_counts (
  gram text PRIMARY KEY,
  names bigint NOT NULL
);
