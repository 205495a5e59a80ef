-- Countersign schema v4 for SQLite: SMTP ingress.
-- A message that came through the SMTP spool carries the digest of its
-- envelope and content, so that one spooled twice (a crash between the
-- commit and the spool's cleanup, or a client resending after a lost
-- reply) is recorded once. The relay queue holds what goes downstream:
-- delivered and flagged messages, held ones tagged with their case,
-- released quarantine, and delivery status notifications; it is retried
-- with backoff until delivered or bounced. Times are Unix milliseconds.

ALTER TABLE messages ADD COLUMN envelope_digest BLOB;
-- NULL as judged; released or deleted by an administrator (quarantine).
ALTER TABLE messages ADD COLUMN disposition TEXT;
CREATE UNIQUE INDEX messages_envelope_digest ON messages (envelope_digest);

CREATE TABLE relay_queue (
    id TEXT PRIMARY KEY,
    message_id TEXT NOT NULL,
    -- message, release or dsn
    kind TEXT NOT NULL,
    mail_from TEXT NOT NULL,
    rcpt TEXT NOT NULL,
    -- The bytes sent downstream; cleared once delivered or bounced.
    data BLOB,
    -- pending, delivered, bounced
    state TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    created_at INTEGER NOT NULL,
    next_attempt_at INTEGER NOT NULL,
    -- Who holds the lease: a restarted node takes back its own at once.
    lease_owner TEXT,
    lease_until INTEGER,
    finished_at INTEGER,
    last_error TEXT
);
CREATE INDEX relay_due ON relay_queue (state, next_attempt_at);
CREATE INDEX relay_message ON relay_queue (message_id);
