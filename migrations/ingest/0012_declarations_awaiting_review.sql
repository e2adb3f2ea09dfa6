-- A supervising department's review queue (GET /v1/declarations/awaiting-review): the submitted
-- declarations of its industries, oldest first (ids begin with the submission time).
CREATE INDEX declarations_awaiting_review ON ingest.declarations (industry, declaration_id)
  WHERE status = 'submitted';
