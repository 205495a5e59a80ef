-- Countersign schema v4 for PostgreSQL: the employees' side. Staff photos
-- (kept by the product, never hot-linked), caller verifications in both
-- directions, tickets pushed by the help-desk tool, employees' reports,
-- sightings with their indicators, campaigns, and per-account rate
-- counters. Times are Unix milliseconds.

CREATE TABLE staff_photos (
    staff_id TEXT PRIMARY KEY,
    content_type TEXT NOT NULL,
    bytes BYTEA NOT NULL,
    sha256 BYTEA NOT NULL,
    uploaded_at BIGINT NOT NULL,
    uploaded_by TEXT NOT NULL
);

CREATE TABLE caller_verifications (
    id TEXT PRIMARY KEY,
    direction TEXT NOT NULL,
    requested_by TEXT NOT NULL,
    claimed_id TEXT NOT NULL,
    state TEXT NOT NULL,
    opened_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    -- Compare-and-set, as for cases: one of two concurrent read-backs wins.
    version BIGINT NOT NULL,
    document TEXT NOT NULL
);
CREATE INDEX caller_verifications_by ON caller_verifications (requested_by, opened_at);
CREATE INDEX caller_verifications_due ON caller_verifications (state, expires_at);

-- Tickets the help-desk tool pushes (or updates) through the API.
CREATE TABLE tickets (
    id TEXT PRIMARY KEY,
    employee_id TEXT NOT NULL,
    assignee_staff_id TEXT,
    summary TEXT NOT NULL,
    status TEXT NOT NULL,
    opened_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    pushed_by TEXT NOT NULL
);
CREATE INDEX tickets_employee ON tickets (employee_id, status);

CREATE TABLE reports (
    id TEXT PRIMARY KEY,
    reporter_id TEXT NOT NULL,
    received_at BIGINT NOT NULL,
    status TEXT NOT NULL,
    -- Past the reporter's rate, a report is kept (never lost) but deferred:
    -- not analysed or correlated until triage looks at it.
    deferred BIGINT NOT NULL,
    message_id TEXT,
    document TEXT NOT NULL
);
CREATE INDEX reports_reporter ON reports (reporter_id, received_at);
CREATE INDEX reports_received ON reports (received_at);

CREATE TABLE campaigns (
    id TEXT PRIMARY KEY,
    status TEXT NOT NULL,
    formed_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    version BIGINT NOT NULL,
    document TEXT NOT NULL
);
CREATE INDEX campaigns_updated ON campaigns (updated_at);

CREATE TABLE sightings (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    at BIGINT NOT NULL,
    campaign_id TEXT,
    document TEXT NOT NULL
);
CREATE INDEX sightings_campaign ON sightings (campaign_id);

CREATE TABLE sighting_indicators (
    sighting_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    value TEXT NOT NULL,
    at BIGINT NOT NULL,
    PRIMARY KEY (sighting_id, kind, value)
);
CREATE INDEX sighting_indicators_value ON sighting_indicators (kind, value, at);

-- One row every correlation locks first, so that two nodes correlating at
-- once cannot both form a campaign from the same sightings.
CREATE TABLE campaign_lock (id BIGINT PRIMARY KEY, touched_at BIGINT NOT NULL);
INSERT INTO campaign_lock (id, touched_at) VALUES (1, 0);

CREATE TABLE rate_counters (
    account_id TEXT NOT NULL,
    action TEXT NOT NULL,
    window_start BIGINT NOT NULL,
    count BIGINT NOT NULL,
    PRIMARY KEY (account_id, action)
);
