-- A delivery's id is now derived from (platform, event id), so the primary key alone keeps a
-- platform from receiving an event twice and the table stays distributable by that id.
ALTER TABLE sanctions.webhook_deliveries DROP CONSTRAINT webhook_deliveries_platform_event_id_key;
