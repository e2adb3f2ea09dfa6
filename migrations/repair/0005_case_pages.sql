-- Objections and repairs are paged newest first by id (ids begin with their filing time), for a
-- department's own cases and by status, without reading other departments' cases.
CREATE INDEX objections_department_pages_idx ON repair.objections (responsible_department, objection_id);
CREATE INDEX objections_status_pages_idx ON repair.objections (status, objection_id);
CREATE INDEX repairs_department_pages_idx ON repair.repairs (responsible_department, repair_id);
