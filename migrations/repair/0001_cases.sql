-- The repair service: objections (异议) and credit repair (信用修复) with their legal deadlines on
-- the official working-day calendar, display-period expiry, and notices to subjects. It knows
-- records, list entries and evaluations only through the ingest and sanctions feeds.

CREATE SCHEMA IF NOT EXISTS repair;

CREATE OR REPLACE FUNCTION repair.refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'repair.% is append-only', TG_TABLE_NAME USING ERRCODE = '55000';
END
$$;

CREATE TABLE repair.event_cursors (
  consumer text NOT NULL,
  source text NOT NULL,
  tx_id xid8 NOT NULL,
  seq bigint NOT NULL,
  updated_at timestamptz NOT NULL,
  PRIMARY KEY (consumer, source)
);

CREATE TABLE repair.records (
  subject_key bytea NOT NULL,
  record_id text NOT NULL,
  version integer NOT NULL,
  status text NOT NULL,
  category text NOT NULL,
  class_code text NOT NULL,
  severity text,
  occurred_at timestamptz NOT NULL,
  display_until timestamptz,
  provider_code text NOT NULL,
  received_at timestamptz NOT NULL,
  PRIMARY KEY (subject_key, record_id)
);
CREATE INDEX records_record_idx ON repair.records (record_id);
CREATE INDEX records_display_until_idx ON repair.records (display_until) WHERE display_until IS NOT NULL;

CREATE TABLE repair.list_entries (
  subject_key bytea NOT NULL,
  entry_id text NOT NULL,
  list_kind text NOT NULL,
  domain text NOT NULL,
  status text NOT NULL,
  identifying_department text NOT NULL,
  valid_from timestamptz,
  updated_at timestamptz NOT NULL,
  PRIMARY KEY (subject_key, entry_id)
);
CREATE INDEX list_entries_entry_idx ON repair.list_entries (entry_id);

CREATE TABLE repair.evaluations (
  subject_key bytea NOT NULL,
  evaluation_id text NOT NULL,
  domain text NOT NULL,
  year integer NOT NULL,
  grade text NOT NULL,
  department text NOT NULL,
  updated_at timestamptz NOT NULL,
  PRIMARY KEY (subject_key, evaluation_id)
);
CREATE INDEX evaluations_evaluation_idx ON repair.evaluations (evaluation_id);

-- Official calendars the credit office loaded for years the holiday package does not cover yet.
CREATE TABLE repair.calendar_years (
  year integer PRIMARY KEY,
  holidays text[] NOT NULL,
  workdays text[] NOT NULL,
  loaded_by text NOT NULL,
  loaded_at timestamptz NOT NULL
);

CREATE TABLE repair.objections (
  subject_key bytea NOT NULL,
  objection_id text NOT NULL,
  target_type text NOT NULL CHECK (target_type IN ('record', 'listEntry', 'evaluation')),
  target_id text NOT NULL,
  responsible_department text NOT NULL,
  status text NOT NULL CHECK (status IN ('submitted', 'accepted', 'inadmissible', 'under_review', 'upheld', 'rejected', 'closed')),
  outcome text,
  reason text NOT NULL,
  evidence jsonb NOT NULL,
  filed_at timestamptz NOT NULL,
  answer_due_at timestamptz NOT NULL,
  decided_at timestamptz,
  decision_note text,
  correction_due_at timestamptz,
  correction_applied_at timestamptz,
  notify_due_at timestamptz,
  notified_at timestamptz,
  closed_at timestamptz,
  updated_at timestamptz NOT NULL,
  PRIMARY KEY (subject_key, objection_id)
);
CREATE INDEX objections_objection_idx ON repair.objections (objection_id);
CREATE INDEX objections_open_target_idx ON repair.objections (target_id)
  WHERE status IN ('submitted', 'accepted', 'under_review', 'upheld');
CREATE INDEX objections_department_idx ON repair.objections (responsible_department, status);

CREATE TABLE repair.repairs (
  subject_key bytea NOT NULL,
  repair_id text NOT NULL,
  target_type text NOT NULL CHECK (target_type IN ('record', 'listEntry')),
  target_id text NOT NULL,
  responsible_department text NOT NULL,
  status text NOT NULL CHECK (status IN ('submitted', 'needs_supplement', 'not_accepted', 'accepted', 'approved', 'denied', 'effective')),
  evidence jsonb NOT NULL,
  commitment text NOT NULL,
  filed_at timestamptz NOT NULL,
  accept_due_at timestamptz NOT NULL,
  paused_at timestamptz,
  paused_working_days_left integer,
  accepted_at timestamptz,
  decision_due_at timestamptz,
  decided_at timestamptz,
  decision_note text,
  effective_at timestamptz,
  updated_at timestamptz NOT NULL,
  PRIMARY KEY (subject_key, repair_id)
);
CREATE INDEX repairs_repair_idx ON repair.repairs (repair_id);
CREATE INDEX repairs_open_target_idx ON repair.repairs (target_id)
  WHERE status IN ('submitted', 'needs_supplement', 'accepted', 'approved');

-- Every state change of an objection or a repair, with who and why: deadlines paused and
-- extended included. Never rewritten.
CREATE TABLE repair.case_history (
  subject_key bytea NOT NULL,
  case_id text NOT NULL,
  seq integer NOT NULL,
  status text NOT NULL,
  at timestamptz NOT NULL,
  actor text NOT NULL,
  note text,
  PRIMARY KEY (subject_key, case_id, seq)
);
CREATE TRIGGER case_history_append_only BEFORE UPDATE OR DELETE ON repair.case_history
  FOR EACH ROW EXECUTE FUNCTION repair.refuse_change();

-- What a subject is told: their cases' state changes and the sanctions service's notices.
CREATE TABLE repair.notices (
  subject_key bytea NOT NULL,
  notice_id text NOT NULL,
  kind text NOT NULL,
  reference_id text NOT NULL,
  title text NOT NULL,
  detail jsonb NOT NULL,
  created_at timestamptz NOT NULL,
  PRIMARY KEY (subject_key, notice_id)
);
CREATE TRIGGER notices_append_only BEFORE UPDATE OR DELETE ON repair.notices
  FOR EACH ROW EXECUTE FUNCTION repair.refuse_change();

CREATE TABLE repair.job_runs (
  job text PRIMARY KEY,
  last_run_at timestamptz NOT NULL
);

CREATE TABLE repair.events (
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
CREATE INDEX events_feed_idx ON repair.events (tx_id, seq);
CREATE TRIGGER events_append_only BEFORE UPDATE OR DELETE ON repair.events
  FOR EACH ROW EXECUTE FUNCTION repair.refuse_change();
