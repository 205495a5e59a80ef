-- Counts the commits that changed sightings or campaigns (a correlation,
-- a campaign's status). On SQLite a correlation reads and plans on a
-- snapshot outside the single write lock, then writes only if the count
-- is still the one it read.
ALTER TABLE campaign_lock ADD COLUMN generation BIGINT NOT NULL DEFAULT 0;
