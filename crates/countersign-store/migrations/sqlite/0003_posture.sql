-- Posture of our own domains (feature 17), SQLite. Times are Unix
-- milliseconds; lists and structures are JSON in TEXT. Numbered from 0100 so
-- that other modules' migrations (0002..0099) can be added independently.

-- One DMARC aggregate report; (reporter, report_id) identifies it, so a
-- report delivered twice is stored once. Written in one transaction with
-- its records: a report is stored whole or not at all.
CREATE TABLE posture_reports (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    reporter TEXT NOT NULL,
    report_id TEXT NOT NULL,
    org_name TEXT NOT NULL,
    email TEXT NOT NULL,
    domain TEXT NOT NULL,
    begin_at BIGINT NOT NULL,
    end_at BIGINT NOT NULL,
    header TEXT NOT NULL,
    records BIGINT NOT NULL,
    messages BIGINT NOT NULL,
    dmarc_pass BIGINT NOT NULL,
    dkim_aligned BIGINT NOT NULL,
    spf_aligned BIGINT NOT NULL,
    quarantined BIGINT NOT NULL,
    rejected BIGINT NOT NULL,
    warnings TEXT NOT NULL,
    origin TEXT NOT NULL,
    ingested_at BIGINT NOT NULL,
    UNIQUE (reporter, report_id)
);
CREATE INDEX posture_reports_domain ON posture_reports (domain, begin_at);

-- Its records, in report order, in chunks: `data` is a JSON array of up
-- to about a thousand records, each [source_ip, count, disposition, dkim,
-- spf, header_from, envelope_from, envelope_to, {"d": DKIM results,
-- "s": SPF results, "r": override reasons}], starting at record number
-- `first_seq`. Reports are written once and read whole (the per-source
-- view streams them; per-address totals are in posture_sources), so a
-- chunk per row keeps a 100,000-record report at a hundred inserts.
CREATE TABLE posture_record_chunks (
    report BIGINT NOT NULL REFERENCES posture_reports (id) ON DELETE CASCADE,
    first_seq BIGINT NOT NULL,
    records BIGINT NOT NULL,
    data TEXT NOT NULL,
    PRIMARY KEY (report, first_seq)
);

-- Every source ever seen sending as a domain: when first and last, how much,
-- and in which report it first appeared (new-source alerts).
CREATE TABLE posture_sources (
    domain TEXT NOT NULL,
    source_ip TEXT NOT NULL,
    first_seen BIGINT NOT NULL,
    last_seen BIGINT NOT NULL,
    first_report BIGINT NOT NULL,
    messages BIGINT NOT NULL,
    dmarc_pass BIGINT NOT NULL,
    PRIMARY KEY (domain, source_ip)
);
CREATE INDEX posture_sources_first_report ON posture_sources (first_report);

-- DMARC failure reports (RFC 6591); `fingerprint` (SHA-256 of the parsed
-- report) keeps a report delivered twice from being stored twice.
CREATE TABLE posture_failures (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    fingerprint TEXT NOT NULL UNIQUE,
    reporter TEXT,
    reported_domain TEXT,
    source_ip TEXT,
    arrival_at BIGINT,
    feedback_type TEXT NOT NULL,
    auth_failure TEXT,
    original_from TEXT,
    original_mail_from TEXT,
    original_subject TEXT,
    details TEXT NOT NULL,
    origin TEXT NOT NULL,
    ingested_at BIGINT NOT NULL
);
CREATE INDEX posture_failures_domain ON posture_failures (reported_domain, arrival_at);

-- SMTP TLS reports (RFC 8460).
CREATE TABLE posture_tls_reports (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    organization TEXT NOT NULL,
    report_id TEXT NOT NULL,
    contact TEXT,
    begin_at BIGINT NOT NULL,
    end_at BIGINT NOT NULL,
    successful BIGINT NOT NULL,
    failed BIGINT NOT NULL,
    policies TEXT NOT NULL,
    report TEXT NOT NULL,
    origin TEXT NOT NULL,
    ingested_at BIGINT NOT NULL,
    UNIQUE (organization, report_id)
);

-- Reverse DNS answers, kept for a bounded time. `name` is NULL when the
-- address has no PTR record.
CREATE TABLE posture_rdns (
    ip TEXT PRIMARY KEY,
    name TEXT,
    looked_up_at BIGINT NOT NULL
);

-- Alerts raised, so each is raised once (the audit log holds the alert).
CREATE TABLE posture_alerts (
    domain TEXT NOT NULL,
    action TEXT NOT NULL,
    alert_key TEXT NOT NULL,
    raised_at BIGINT NOT NULL,
    PRIMARY KEY (domain, action, alert_key)
);
