-- An agency's or department's notifications are paged newest first by notice id.
CREATE INDEX recipient_notices_pages_idx ON query.recipient_notices (org, notice_id);
