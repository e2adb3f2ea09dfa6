-- The delivery ledger to the upper (provincial, national) platforms, docs/exchange.md.
-- One log of public changes in delivery order, keyed by its position (range-partitionable by it);
-- each receiver's batches, and the items receivers refused, keyed by receiver and position.
CREATE SEQUENCE query.exchange_positions;

CREATE TABLE query.exchange_log (
  position bigint PRIMARY KEY,
  item_id text NOT NULL,
  subject_key bytea NOT NULL,
  subject_kind text NOT NULL,
  ref_kind text NOT NULL CHECK (ref_kind IN ('record', 'list_entry')),
  ref_id text NOT NULL,
  ref_version integer NOT NULL,
  operation text NOT NULL CHECK (operation IN ('upsert', 'delete')),
  cause text NOT NULL,
  preset text NOT NULL,
  content jsonb,
  source_event_id uuid NOT NULL,
  created_at timestamptz NOT NULL
);
-- What was last announced of a record or entry (a deletion is announced only after an upsert).
CREATE INDEX exchange_log_ref_idx ON query.exchange_log (subject_key, ref_id, position);

CREATE TABLE query.exchange_receivers (
  receiver_id text PRIMARY KEY,
  name text NOT NULL,
  url text NOT NULL,
  format text NOT NULL,
  secret text NOT NULL,
  enabled boolean NOT NULL,
  cursor bigint NOT NULL,
  high_water bigint NOT NULL,
  next_batch_no bigint NOT NULL,
  created_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL
);

CREATE TABLE query.exchange_batches (
  receiver_id text NOT NULL,
  batch_no bigint NOT NULL,
  batch_id text NOT NULL,
  first_position bigint NOT NULL,
  last_position bigint NOT NULL,
  item_count integer NOT NULL,
  replay boolean NOT NULL,
  status text NOT NULL CHECK (status IN ('open', 'acknowledged', 'superseded')),
  attempts integer NOT NULL,
  next_attempt_at timestamptz NOT NULL,
  last_status integer,
  last_error text,
  refused_count integer NOT NULL,
  created_at timestamptz NOT NULL,
  last_attempt_at timestamptz,
  acknowledged_at timestamptz,
  PRIMARY KEY (receiver_id, batch_no)
);
-- The sender's claim: open batches due for an attempt. At most one is open per receiver.
CREATE INDEX exchange_batches_due_idx ON query.exchange_batches (next_attempt_at) WHERE status = 'open';
CREATE UNIQUE INDEX exchange_batches_open_idx ON query.exchange_batches (receiver_id) WHERE status = 'open';

CREATE TABLE query.exchange_refusals (
  receiver_id text NOT NULL,
  batch_no bigint NOT NULL,
  position bigint NOT NULL,
  item_id text NOT NULL,
  code text,
  reason text NOT NULL,
  PRIMARY KEY (receiver_id, batch_no, position)
);
