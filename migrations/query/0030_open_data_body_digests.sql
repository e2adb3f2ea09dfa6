-- A stored open-data body carries its digest (the first 16 bytes of SHA-256 over its preset and
-- JSON), so a cut tells a changed row by combining it with its subject's, without hashing every
-- line it writes. Bodies stored before this have none: the rendering's revision moved with it,
-- so a cut renders them again and stores them with their digests.
ALTER TABLE query.records ADD COLUMN export_digest bytea;
ALTER TABLE query.list_entries ADD COLUMN export_digest bytea;
