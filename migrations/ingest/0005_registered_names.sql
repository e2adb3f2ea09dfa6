-- Subject names are decided by the registering authority's record (catalogue `namesSubject`:
-- org_registration, person_identity), not by whichever department pushed last. Each version now
-- keeps the keyed MAC of the name it carries, so a department's differing name can be counted
-- in its quality statistics and a former name (曾用名) found again without decrypting anything.
-- Versions older than this migration carry no MAC (NULL) and are simply not compared.
ALTER TABLE ingest.record_versions ADD COLUMN subject_name_mac bytea;
ALTER TABLE ingest.record_versions ADD COLUMN names_subject boolean NOT NULL DEFAULT false;

-- A subject's registered names in order (current and former), and the subjects that ever bore
-- a registered name: both only over the registering authority's versions.
CREATE INDEX record_versions_registered_names_idx ON ingest.record_versions (subject_key, received_at)
  WHERE names_subject;
CREATE INDEX record_versions_registered_name_mac_idx ON ingest.record_versions (subject_name_mac)
  WHERE names_subject;
