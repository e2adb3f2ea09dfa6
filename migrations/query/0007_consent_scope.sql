-- Consents as the ingest feed announces them (consent.granted, consent.revoked): what each one
-- lets consent-gated values (收入、存款…) be used for and by whom. A record carries the consent it
-- cites; its gated values are shown only within that consent's scope, while it stands.
CREATE TABLE query.consents (
  subject_key bytea NOT NULL,
  consent_id text NOT NULL,
  provider_code text NOT NULL,
  purposes text[] NOT NULL,
  recipients jsonb NOT NULL,
  valid_until timestamptz,
  revoked_at timestamptz,
  granted_at timestamptz NOT NULL,
  PRIMARY KEY (subject_key, consent_id)
);

ALTER TABLE query.records ADD COLUMN consent_ref text;
