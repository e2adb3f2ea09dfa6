-- Open data (公共信用信息开放数据, GET /v1/open-data/...): each day's cut of everything public,
-- as files in the national 双公示 items, held in the database rather than under DATA_DIR, so that
-- embedded PGlite and PostgreSQL keep them alike, every replica serves them from what streaming
-- replication already carries, and a backup of the database is a backup of them.

-- When the service's scheduled jobs last ran (the same shape in every service that runs jobs).
CREATE TABLE query.job_runs (
  job text PRIMARY KEY,
  last_run_at timestamptz NOT NULL
);

-- The transparency checkpoints the ingest feed announced, in feed order after the record events
-- they cover: a cut cites the newest one applied when it was made.
CREATE TABLE query.checkpoints_seen (
  tree_size bigint PRIMARY KEY,
  root_hash text NOT NULL,
  issued_at timestamptz NOT NULL,
  body text NOT NULL,
  signature text NOT NULL
);

-- One cut a day (Asia/Shanghai): its signed manifest, as signed.
CREATE TABLE query.open_data_cuts (
  day date PRIMARY KEY,
  previous_day date,
  cut_at timestamptz NOT NULL,
  manifest text NOT NULL,
  signature text NOT NULL
);

-- The files of a cut and what their manifest says of them.
CREATE TABLE query.open_data_files (
  day date NOT NULL,
  name text NOT NULL,
  kind text NOT NULL,
  format text NOT NULL,
  preset text,
  bytes bigint NOT NULL,
  sha256 text NOT NULL,
  records bigint NOT NULL,
  chunk_bytes integer NOT NULL,
  PRIMARY KEY (day, name)
);

-- A file's bytes in chunks of chunk_bytes (the last one shorter): a range is read from the chunks
-- it spans, never from the whole file.
CREATE TABLE query.open_data_chunks (
  day date NOT NULL,
  name text NOT NULL,
  chunk_no integer NOT NULL,
  content bytea NOT NULL,
  PRIMARY KEY (day, name, chunk_no)
);
-- Stored out of line and uncompressed: a range is then read with no decompression of the chunk,
-- and a cut does not spend the server's CPU compressing hundreds of megabytes it wrote once.
ALTER TABLE query.open_data_chunks ALTER COLUMN content SET STORAGE EXTERNAL;

-- What the newest cut published, item by item: the next cut's increment is the difference.
-- Keyed by subject like the read model it mirrors.
CREATE TABLE query.open_data_published (
  subject_key bytea NOT NULL,
  item_id text NOT NULL,
  preset text NOT NULL,
  digest bytea NOT NULL,
  PRIMARY KEY (subject_key, item_id)
);
