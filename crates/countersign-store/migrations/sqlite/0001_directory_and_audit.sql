-- Countersign schema v1 for SQLite. Times are Unix milliseconds; lists are
-- JSON arrays in TEXT; booleans are 0/1.

-- Bumped by every directory commit; writers compare-and-set it so that two
-- processes planning against the same state cannot both commit.
CREATE TABLE directory_meta (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    revision INTEGER NOT NULL
);
INSERT INTO directory_meta (id, revision) VALUES (1, 0);

CREATE TABLE organisation (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    name TEXT NOT NULL,
    domains TEXT NOT NULL,
    review_interval_days INTEGER NOT NULL
);

CREATE TABLE vendors (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    domains TEXT NOT NULL,
    privileged INTEGER NOT NULL,
    relationship_manager TEXT NOT NULL,
    status TEXT NOT NULL,
    last_reviewed_at INTEGER,
    review_due INTEGER
);

CREATE TABLE vendor_contacts (
    vendor_id TEXT NOT NULL REFERENCES vendors (id),
    email TEXT NOT NULL,
    name TEXT NOT NULL,
    phones TEXT NOT NULL,
    role TEXT NOT NULL,
    status TEXT NOT NULL,
    PRIMARY KEY (vendor_id, email)
);

CREATE TABLE staff (
    staff_id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    photo TEXT,
    email TEXT NOT NULL,
    phone TEXT NOT NULL,
    role TEXT NOT NULL,
    team TEXT NOT NULL,
    status TEXT NOT NULL
);

CREATE TABLE employees (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    email TEXT NOT NULL,
    phone TEXT,
    manager TEXT,
    status TEXT NOT NULL
);

CREATE TABLE vendor_keys (
    key_id TEXT PRIMARY KEY,
    vendor_id TEXT NOT NULL REFERENCES vendors (id),
    public_key TEXT NOT NULL,
    not_before INTEGER NOT NULL,
    not_after INTEGER,
    revoked_at INTEGER,
    revoked_reason TEXT
);

CREATE TABLE forwarders (
    domain TEXT PRIMARY KEY,
    description TEXT NOT NULL
);

CREATE TABLE change_requests (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    author TEXT NOT NULL,
    reason TEXT NOT NULL,
    source TEXT NOT NULL,
    status TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    decided_by TEXT,
    decided_at INTEGER,
    decision_reason TEXT,
    changes TEXT NOT NULL
);
CREATE INDEX change_requests_status ON change_requests (status);

CREATE TABLE audit_entries (
    seq INTEGER PRIMARY KEY,
    at INTEGER NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    subject TEXT NOT NULL,
    details TEXT NOT NULL,
    prev_hash BLOB NOT NULL,
    hash BLOB NOT NULL
);

-- The latest entry. Appenders lock this row first, which serialises them:
-- the chain can never fork.
CREATE TABLE audit_head (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    seq INTEGER NOT NULL,
    hash BLOB NOT NULL
);
INSERT INTO audit_head (id, seq, hash) VALUES (1, 0, zeroblob(32));

CREATE TABLE audit_checkpoints (
    seq INTEGER PRIMARY KEY,
    entry_hash BLOB NOT NULL,
    at INTEGER NOT NULL,
    key_id TEXT NOT NULL,
    signature BLOB NOT NULL
);

-- Append-only, against mistakes: a determined administrator can drop these
-- triggers, which is what the signed checkpoints are for.
CREATE TRIGGER audit_entries_no_update BEFORE UPDATE ON audit_entries
BEGIN SELECT RAISE(ABORT, 'audit entries are append-only'); END;
CREATE TRIGGER audit_entries_no_delete BEFORE DELETE ON audit_entries
BEGIN SELECT RAISE(ABORT, 'audit entries are append-only'); END;
