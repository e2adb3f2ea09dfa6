-- A public item's open-data lines (after its subject's three lead cells) are rendered when the
-- record or list entry is written, not by every daily cut (services/query/src/domain/open-data-files.ts):
-- a cut joins each stored body to its subject's cells. A body is stamped with the rendering it
-- was made by; rows written before this (no stamp), or by an older rendering, are rendered by
-- the next cut, which stores them again. NULL where open data never shows the row (a person's,
-- a non-public record, a watch-list entry).
ALTER TABLE query.records ADD COLUMN export_csv text, ADD COLUMN export_json text, ADD COLUMN export_stamp text;
ALTER TABLE query.list_entries ADD COLUMN export_csv text, ADD COLUMN export_json text, ADD COLUMN export_stamp text;
