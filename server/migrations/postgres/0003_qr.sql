-- Account codes printed on bills (issue 4). Only SHA-256 of the claim secret is stored. Issuing a
-- new code for an account sets `revoked_at` on its unclaimed codes; claiming sets `claimed_by`
-- once (the UPDATE that claims matches only rows with `claimed_by IS NULL`, and a concurrent
-- claim re-checks that condition after the winner commits).
CREATE TABLE account_codes (
    id          uuid PRIMARY KEY,
    account_id  uuid NOT NULL REFERENCES accounts(id),
    secret_hash bytea NOT NULL UNIQUE,
    issued_by   uuid NOT NULL REFERENCES users(id),
    issued_at   timestamptz NOT NULL,
    revoked_at  timestamptz,
    claimed_by  uuid REFERENCES users(id),
    claimed_at  timestamptz
);
CREATE INDEX account_codes_account ON account_codes(account_id);
