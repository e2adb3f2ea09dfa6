-- Which organisations are registered as intermediaries (涉审中介机构), and in which industry, as
-- the sanctions service learns it from the ingest feed (`intermediary.registered`): a department
-- evaluates only the agencies registered in an industry it supervises, and their practitioners
-- (sanctions.practitioners). Its own consumer follows that event type from the start of the feed,
-- so the registrations announced before this migration are read again.
CREATE TABLE sanctions.intermediaries (
  subject_key bytea PRIMARY KEY,
  industry text NOT NULL,
  department text NOT NULL,
  registered_at timestamptz NOT NULL
);

-- A practitioner is evaluated in the industries of the agencies they are registered with.
CREATE INDEX practitioners_person_idx ON sanctions.practitioners (person_key);
