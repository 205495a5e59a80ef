-- Countersign schema v2 for SQLite: what `countersign serve` keeps.
-- Accounts and their sign-in state, sessions and API tokens (digests only),
-- recorded messages, verification cases, webhook subscriptions and the
-- durable outbox of their deliveries. Times are Unix milliseconds.

CREATE TABLE accounts (
    id TEXT PRIMARY KEY,
    username TEXT NOT NULL UNIQUE,
    display_name TEXT NOT NULL,
    roles TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    must_change_password INTEGER NOT NULL,
    -- The TOTP seed is needed in clear to compute codes; it never leaves
    -- the server after enrolment.
    totp_secret BLOB,
    totp_confirmed INTEGER NOT NULL DEFAULT 0,
    totp_last_step INTEGER NOT NULL DEFAULT 0,
    staff_id TEXT,
    employee_id TEXT,
    failed_attempts INTEGER NOT NULL DEFAULT 0,
    locked_until INTEGER,
    disabled INTEGER NOT NULL DEFAULT 0,
    created_at INTEGER NOT NULL
);

CREATE TABLE sessions (
    token_hash BLOB PRIMARY KEY,
    account_id TEXT NOT NULL REFERENCES accounts (id),
    stage TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    last_seen_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    address TEXT,
    revoked_at INTEGER
);
CREATE INDEX sessions_account ON sessions (account_id);

CREATE TABLE api_tokens (
    id TEXT PRIMARY KEY,
    token_hash BLOB NOT NULL UNIQUE,
    account_id TEXT NOT NULL REFERENCES accounts (id),
    name TEXT NOT NULL,
    roles TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    created_by TEXT NOT NULL,
    revoked_at INTEGER,
    last_used_at INTEGER
);

-- Failed sign-ins per client address in a fixed window.
CREATE TABLE signin_failures (
    address TEXT PRIMARY KEY,
    window_start INTEGER NOT NULL,
    failures INTEGER NOT NULL
);

CREATE TABLE messages (
    id TEXT PRIMARY KEY,
    received_at INTEGER NOT NULL,
    source TEXT NOT NULL,
    client_ip TEXT NOT NULL,
    helo TEXT NOT NULL,
    mail_from TEXT NOT NULL,
    rcpt TEXT NOT NULL,
    from_address TEXT,
    subject TEXT,
    verdict TEXT NOT NULL,
    document TEXT NOT NULL,
    summary TEXT NOT NULL,
    digest BLOB NOT NULL,
    -- Kept for held, quarantined and rejected messages (and unparsable
    -- ones): they may have to be reviewed or released.
    raw BLOB,
    case_id TEXT
);
CREATE INDEX messages_received ON messages (received_at);
CREATE INDEX messages_verdict ON messages (verdict, received_at);

CREATE TABLE cases (
    id TEXT PRIMARY KEY,
    state TEXT NOT NULL,
    opened_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    vendor_id TEXT,
    message_id TEXT,
    -- Compare-and-set: a transition is written only against the version it
    -- was planned on, so concurrent submissions cannot both win.
    version INTEGER NOT NULL,
    document TEXT NOT NULL
);
CREATE INDEX cases_updated ON cases (updated_at);
CREATE INDEX cases_due ON cases (state, expires_at);

CREATE TABLE webhooks (
    id TEXT PRIMARY KEY,
    url TEXT NOT NULL,
    -- The HMAC key must be readable to sign deliveries.
    secret TEXT NOT NULL,
    events TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    created_by TEXT NOT NULL,
    disabled_at INTEGER
);

-- One row per (event, subscription): written in the same transaction as
-- the change it announces, delivered at least once by any node.
CREATE TABLE outbox (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    event_id TEXT NOT NULL,
    webhook_id TEXT NOT NULL REFERENCES webhooks (id),
    event_type TEXT NOT NULL,
    payload TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    state TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER NOT NULL,
    lease_until INTEGER,
    delivered_at INTEGER,
    last_error TEXT,
    UNIQUE (event_id, webhook_id)
);
CREATE INDEX outbox_due ON outbox (state, next_attempt_at);

CREATE TABLE webhook_attempts (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    outbox_id INTEGER NOT NULL,
    webhook_id TEXT NOT NULL,
    event_id TEXT NOT NULL,
    attempted_at INTEGER NOT NULL,
    status INTEGER,
    error TEXT,
    duration_ms INTEGER NOT NULL
);
CREATE INDEX webhook_attempts_by_hook ON webhook_attempts (webhook_id, id);

CREATE INDEX audit_entries_subject ON audit_entries (subject, seq);
