-- A platform's webhook deliveries are paged newest first by creation time, then id.
CREATE INDEX webhook_deliveries_platform_pages_idx ON sanctions.webhook_deliveries (platform, created_at, delivery_id);
