-- The query service's outbox: accesses and authorisations, announced for the transparency log
-- in the same transaction that records them (see packages/events for the gap-free feed).
CREATE TABLE query.events (
  tx_id xid8 NOT NULL DEFAULT pg_current_xact_id(),
  seq bigint GENERATED ALWAYS AS IDENTITY,
  event_id uuid NOT NULL,
  type text NOT NULL,
  subject_key bytea NOT NULL,
  aggregate_id text NOT NULL,
  payload jsonb NOT NULL,
  created_at timestamptz NOT NULL,
  PRIMARY KEY (subject_key, seq)
);
CREATE INDEX events_feed_idx ON query.events (tx_id, seq);
CREATE TRIGGER events_append_only BEFORE UPDATE OR DELETE ON query.events
  FOR EACH ROW EXECUTE FUNCTION query.refuse_change();
