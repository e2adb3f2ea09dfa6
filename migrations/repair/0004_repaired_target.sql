-- An item is repaired once: a new application looks up an effective repair of its target, as it
-- looks up an open one (repairs_open_target_idx), by index.
CREATE INDEX repairs_effective_target_idx ON repair.repairs (target_id) WHERE status = 'effective';
