-- Account codes printed on bills (issue 4). Only SHA-256 of the claim secret is stored. Issuing a
-- new code for an account sets `revoked_at` on its unclaimed codes; claiming sets `claimed_by`
-- once (the UPDATE that claims matches only rows with `claimed_by IS NULL`).
CREATE TABLE account_codes (
    id          TEXT PRIMARY KEY,
    account_id  TEXT NOT NULL REFERENCES accounts(id),
    secret_hash BLOB NOT NULL UNIQUE,
    issued_by   TEXT NOT NULL REFERENCES users(id),
    issued_at   INTEGER NOT NULL,
    revoked_at  INTEGER,
    claimed_by  TEXT REFERENCES users(id),
    claimed_at  INTEGER
);
CREATE INDEX account_codes_account ON account_codes(account_id);
