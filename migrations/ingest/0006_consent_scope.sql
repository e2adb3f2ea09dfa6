-- A consent names what the values it lets be collected may be used for (purposes) and who may
-- read them besides the subject and the collecting provider (recipients). Consents on file before
-- this carry neither, so their values are shown to nobody else until the subject consents again.
ALTER TABLE ingest.consents ADD COLUMN purposes text[] NOT NULL DEFAULT '{}';
ALTER TABLE ingest.consents ADD COLUMN recipients jsonb NOT NULL DEFAULT '[]';
