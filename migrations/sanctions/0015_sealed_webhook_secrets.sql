-- A webhook's signing secret is the HMAC key of a platform's receiver: it is kept sealed like an
-- identity number (AES-256-GCM under the active data-encryption key, bound to the platform's row,
-- re-encrypted by `npm run rotate-keys`; docs/security.md, "Signing secrets"). A migration cannot
-- encrypt: the secrets kept in clear until now stay in `secret` until the service's next start
-- seals them and empties it. From here on the database refuses a secret in clear (the constraint
-- checks new and changed rows only, not the old ones the start seals).
ALTER TABLE sanctions.webhooks
  ADD COLUMN secret_cipher bytea,
  ADD COLUMN key_id text,
  ALTER COLUMN secret DROP NOT NULL;
ALTER TABLE sanctions.webhooks ADD CONSTRAINT webhooks_secret_kept
  CHECK (secret IS NOT NULL OR (secret_cipher IS NOT NULL AND key_id IS NOT NULL));
ALTER TABLE sanctions.webhooks ADD CONSTRAINT webhooks_secret_sealed CHECK (secret IS NULL) NOT VALID;
