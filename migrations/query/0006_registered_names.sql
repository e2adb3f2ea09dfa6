-- The name of a subject is the registering authority's (catalogue `namesSubject`), else the
-- first one seen: a department's record with another name no longer renames the subject here
-- (packages/events, upsertSubjectIdentities). Rows from before keep their name until the
-- registering authority's next record.
ALTER TABLE query.subjects ADD COLUMN name_authoritative boolean NOT NULL DEFAULT false;
