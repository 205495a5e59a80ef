-- The console's lists: the analyst queue pages messages newest first by
-- (received_at, id), optionally of one verdict or one sender, and lists
-- pending cases oldest first. Each filter has an index that serves its
-- order, so a page costs an index range scan however many messages there are.
CREATE INDEX messages_page ON messages (received_at, id);
CREATE INDEX messages_verdict_page ON messages (verdict, received_at, id);
CREATE INDEX messages_sender_page ON messages (from_address, received_at, id);
CREATE INDEX cases_state_opened ON cases (state, opened_at, id);

-- Whether a pending case still waits for an approval: the approvers' page
-- lists these, oldest first, however many other cases are pending. Kept by
-- every write of a case; existing rows are filled from their documents.
ALTER TABLE cases ADD COLUMN approval_pending INTEGER NOT NULL DEFAULT 0;
UPDATE cases SET approval_pending = 1
 WHERE state = 'pending' AND document LIKE '%"control":"dual_approval","status":"pending"%';
CREATE INDEX cases_approval_pending ON cases (approval_pending, opened_at, id);

-- The quarantine list reads only what is still held back: a partial index
-- on exactly the list's condition keeps it an index scan with 100,000
-- messages recorded.
CREATE INDEX messages_quarantine ON messages (received_at, id)
 WHERE source = 'smtp' AND envelope_digest IS NOT NULL
   AND verdict IN ('quarantine', 'reject') AND disposition IS NULL AND raw IS NOT NULL;

-- Messages per UTC day and verdict, kept by every recording of messages
-- (a verdict never changes once recorded): the overview's chart reads a
-- few dozen rows instead of counting every message.
CREATE TABLE message_day_counts (
    day BIGINT NOT NULL,
    verdict TEXT NOT NULL,
    n BIGINT NOT NULL,
    PRIMARY KEY (day, verdict)
);
INSERT INTO message_day_counts (day, verdict, n)
SELECT received_at / 86400000, verdict, COUNT(*) FROM messages
 GROUP BY received_at / 86400000, verdict;
