-- Countersign schema v1 for PostgreSQL. Times are Unix milliseconds; lists are
-- JSON arrays in TEXT; booleans are 0/1.

-- Bumped by every directory commit; writers compare-and-set it so that two
-- processes planning against the same state cannot both commit.
CREATE TABLE directory_meta (
    id BIGINT PRIMARY KEY CHECK (id = 1),
    revision BIGINT NOT NULL
);
INSERT INTO directory_meta (id, revision) VALUES (1, 0);

CREATE TABLE organisation (
    id BIGINT PRIMARY KEY CHECK (id = 1),
    name TEXT NOT NULL,
    domains TEXT NOT NULL,
    review_interval_days BIGINT NOT NULL
);

CREATE TABLE vendors (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    domains TEXT NOT NULL,
    privileged BIGINT NOT NULL,
    relationship_manager TEXT NOT NULL,
    status TEXT NOT NULL,
    last_reviewed_at BIGINT,
    review_due BIGINT
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
    not_before BIGINT NOT NULL,
    not_after BIGINT,
    revoked_at BIGINT,
    revoked_reason TEXT
);

CREATE TABLE forwarders (
    domain TEXT PRIMARY KEY,
    description TEXT NOT NULL
);

CREATE TABLE change_requests (
    id BIGSERIAL PRIMARY KEY,
    author TEXT NOT NULL,
    reason TEXT NOT NULL,
    source TEXT NOT NULL,
    status TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    decided_by TEXT,
    decided_at BIGINT,
    decision_reason TEXT,
    changes TEXT NOT NULL
);
CREATE INDEX change_requests_status ON change_requests (status);

CREATE TABLE audit_entries (
    seq BIGINT PRIMARY KEY,
    at BIGINT NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    subject TEXT NOT NULL,
    details TEXT NOT NULL,
    prev_hash BYTEA NOT NULL,
    hash BYTEA NOT NULL
);

-- The latest entry. Appenders lock this row first, which serialises them:
-- the chain can never fork.
CREATE TABLE audit_head (
    id BIGINT PRIMARY KEY CHECK (id = 1),
    seq BIGINT NOT NULL,
    hash BYTEA NOT NULL
);
INSERT INTO audit_head (id, seq, hash) VALUES (1, 0, decode(repeat('00', 32), 'hex'));

CREATE TABLE audit_checkpoints (
    seq BIGINT PRIMARY KEY,
    entry_hash BYTEA NOT NULL,
    at BIGINT NOT NULL,
    key_id TEXT NOT NULL,
    signature BYTEA NOT NULL
);

-- Append-only, against mistakes: a determined administrator can drop these
-- triggers, which is what the signed checkpoints are for.
CREATE FUNCTION audit_entries_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit entries are append-only';
END;
$$;
CREATE TRIGGER audit_entries_no_update BEFORE UPDATE OR DELETE ON audit_entries
FOR EACH ROW EXECUTE FUNCTION audit_entries_append_only();
CREATE TRIGGER audit_entries_no_truncate BEFORE TRUNCATE ON audit_entries
FOR EACH STATEMENT EXECUTE FUNCTION audit_entries_append_only();
