-- A cut no longer writes while it reads. It reads in one read-only snapshot, which takes no
-- transaction id, and writes its chunks and its changes to the published baseline in short
-- transactions of their own: a cut that held a transaction id for its whole length held back
-- every event feed (a feed releases an event only once every older transaction id has ended).
--
-- The baseline's changes wait here, under the attempt that made them, until the cut is stored;
-- they are then applied in short batches. An attempt that failed before its cut was stored
-- leaves rows no cut names, and the next attempt drops them.
CREATE TABLE query.open_data_staged (
  attempt uuid NOT NULL,
  subject_key bytea NOT NULL,
  item_id text NOT NULL,
  preset text NOT NULL,
  -- null: the item leaves the baseline (the increment's deletion)
  digest bytea,
  PRIMARY KEY (attempt, subject_key, item_id)
);

-- The attempt whose staged changes a stored cut has not yet applied to the baseline: the next
-- cut finishes them before it reads, so its increment is measured against this cut exactly.
ALTER TABLE query.open_data_cuts ADD COLUMN baseline_pending uuid;
