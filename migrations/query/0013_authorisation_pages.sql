-- A subject's authorisations are paged newest first by grant time, then id.
CREATE INDEX authorisations_subject_pages_idx ON query.authorisations (subject_key, granted_at, authorisation_id);
