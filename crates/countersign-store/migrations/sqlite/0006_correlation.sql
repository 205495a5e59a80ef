-- Countersign schema v6 (sqlite): campaign correlation off the request path.
-- A campaign's size, so that a merge keeps the largest campaign and moves
-- the fewest sightings (union by size: each sighting changes campaign at
-- most log2(n) times, instead of thousands of rows per merge).
ALTER TABLE campaigns ADD COLUMN sightings INTEGER NOT NULL DEFAULT 0;
UPDATE campaigns SET sightings = (SELECT COUNT(*) FROM sightings s WHERE s.campaign_id = campaigns.id);

-- Sightings of held-back messages, written in the same transaction as the
-- message and its verdict, then correlated into campaigns in batches by
-- the correlator (a crash in between leaves them here, to be correlated
-- on restart). Times are Unix milliseconds.
CREATE TABLE pending_sightings (
    id TEXT PRIMARY KEY,
    queued_at INTEGER NOT NULL,
    document TEXT NOT NULL
);
CREATE INDEX pending_sightings_queued ON pending_sightings (queued_at, id);
