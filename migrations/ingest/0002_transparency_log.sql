-- The transparency log (RFC 9162): one append-only Merkle tree over record versions, access-log
-- entries, authorisations, list decisions, repair decisions and erasure tombstones. Leaves hold
-- only commitments and platform-minted ids; who an entry is about lives beside the tree, keyed
-- by subject, so a subject's entries are one index probe and the tree itself names nobody.

-- The tree's head: its size and the roots of its perfect subtrees (32 bytes each, largest
-- first). Appends lock this row, which is what keeps leaf indexes dense and in commit order.
CREATE TABLE ingest.log_head (
  log_id smallint PRIMARY KEY CHECK (log_id = 1),
  tree_size bigint NOT NULL,
  frontier bytea NOT NULL,
  updated_at timestamptz NOT NULL
);
INSERT INTO ingest.log_head (log_id, tree_size, frontier, updated_at) VALUES (1, 0, '\x', now());

-- One row per leaf. subtree_hashes holds the perfect subtrees this leaf completes (heights 1,
-- 2, …, 32 bytes each): every proof is a fold over such subtrees, so proofs are index probes.
CREATE TABLE ingest.log_leaves (
  leaf_index bigint PRIMARY KEY,
  leaf_hash bytea NOT NULL,
  leaf_input bytea NOT NULL,
  kind text NOT NULL CHECK (kind IN ('record.version', 'access', 'decision', 'tombstone')),
  subtree_hashes bytea NOT NULL,
  appended_at timestamptz NOT NULL
);
CREATE TRIGGER log_leaves_append_only BEFORE UPDATE OR DELETE ON ingest.log_leaves
  FOR EACH ROW EXECUTE FUNCTION ingest.refuse_change();
CREATE TRIGGER log_leaves_no_truncate BEFORE TRUNCATE ON ingest.log_leaves
  FOR EACH STATEMENT EXECUTE FUNCTION ingest.refuse_change();

-- Which leaves concern which subject, and what each leaf logs (`rec_…:3`, an access entry id,
-- an event id). The subject's access map is derived from this table; hiding a row from it is
-- exactly what the signed map root exposes.
CREATE TABLE ingest.log_subject_leaves (
  subject_key bytea NOT NULL,
  leaf_index bigint NOT NULL,
  kind text NOT NULL,
  ref text NOT NULL,
  PRIMARY KEY (subject_key, leaf_index)
);
CREATE INDEX log_subject_leaves_ref_idx ON ingest.log_subject_leaves (subject_key, ref);
CREATE TRIGGER log_subject_leaves_append_only BEFORE UPDATE OR DELETE ON ingest.log_subject_leaves
  FOR EACH ROW EXECUTE FUNCTION ingest.refuse_change();

-- Salts that open decision leaves' commitments. Erasing a salt leaves the commitment standing
-- and the content unprovable: the one thing in the log's orbit that may be deleted.
CREATE TABLE ingest.log_openings (
  leaf_index bigint PRIMARY KEY,
  salt bytea NOT NULL
);

-- Signed checkpoints, one per issue: the tree's size and root, the access map's root.
CREATE TABLE ingest.log_checkpoints (
  tree_size bigint PRIMARY KEY,
  root_hash bytea NOT NULL,
  map_root bytea NOT NULL,
  issued_at timestamptz NOT NULL,
  body text NOT NULL,
  signature text NOT NULL
);
CREATE TRIGGER log_checkpoints_append_only BEFORE UPDATE OR DELETE ON ingest.log_checkpoints
  FOR EACH ROW EXECUTE FUNCTION ingest.refuse_change();

-- The access map's nodes, versioned by the tree size of the checkpoint that wrote them, so a
-- proof can be given for any checkpoint: the newest row at or below its size.
CREATE TABLE ingest.map_nodes (
  depth smallint NOT NULL,
  prefix bytea NOT NULL,
  revision bigint NOT NULL,
  node_kind text NOT NULL CHECK (node_kind IN ('leaf', 'branch')),
  hash bytea NOT NULL,
  leaf_key bytea,
  value_hash bytea,
  PRIMARY KEY (prefix, depth, revision)
);
CREATE TRIGGER map_nodes_append_only BEFORE UPDATE OR DELETE ON ingest.map_nodes
  FOR EACH ROW EXECUTE FUNCTION ingest.refuse_change();

-- Each subject's access chain as of the last checkpoint: count and head (derived state).
CREATE TABLE ingest.access_heads (
  subject_key bytea PRIMARY KEY,
  access_count bigint NOT NULL,
  head bytea NOT NULL,
  tree_size bigint NOT NULL
);

-- Cursors of the feeds the log follows (query, sanctions, repair).
CREATE TABLE ingest.event_cursors (
  consumer text NOT NULL,
  source text NOT NULL,
  tx_id xid8 NOT NULL,
  seq bigint NOT NULL,
  updated_at timestamptz NOT NULL,
  PRIMARY KEY (consumer, source)
);

-- The checkpoint job reads the access leaves appended since the last checkpoint by index.
CREATE INDEX log_subject_leaves_access_idx ON ingest.log_subject_leaves (leaf_index) WHERE kind = 'access';
