-- The console signs in in two steps: the password, then (when the account
-- has TOTP) the code on its own page. Between the two, the proof that the
-- password was right is a challenge: a random token (kept as its SHA-256
-- digest, like sessions) tied to the account and the client's address,
-- short-lived, single-use, dropped after three wrong codes.
CREATE TABLE signin_challenges (
    token_hash BYTEA PRIMARY KEY,
    account_id TEXT NOT NULL REFERENCES accounts (id),
    address TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    failures INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX signin_challenges_expiry ON signin_challenges (expires_at);
