-- List entries are paged newest first by id (ids begin with their creation time), for a
-- department's own entries and by status, without reading the entries of other departments.
CREATE INDEX list_entries_department_pages_idx ON sanctions.list_entries (identifying_department, entry_id);
CREATE INDEX list_entries_status_pages_idx ON sanctions.list_entries (status, entry_id);
