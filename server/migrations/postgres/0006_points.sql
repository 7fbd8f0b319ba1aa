-- Bonus points: partners and their offers, the append-only ledger, vouchers and redemption attempts.
-- The balance is SUM(points_ledger.delta) for a user; writers lock the user row and check it inside
-- the same transaction. Redemption is a conditional UPDATE ... WHERE status = 'issued', so exactly
-- one of any number of concurrent redemptions (from any number of server processes) wins.

CREATE TABLE partners (
    id         text PRIMARY KEY,
    name       text NOT NULL,
    created_at timestamptz NOT NULL
);

CREATE TABLE partner_offers (
    id         uuid PRIMARY KEY,
    partner_id text NOT NULL REFERENCES partners(id),
    title      text NOT NULL,
    points     integer NOT NULL CHECK (points > 0),
    discount   text NOT NULL,
    created_at timestamptz NOT NULL
);

CREATE TABLE points_ledger (
    id        bigserial PRIMARY KEY,
    user_id   uuid NOT NULL REFERENCES users(id),
    delta     bigint NOT NULL,
    reason    text NOT NULL,
    source_id text NOT NULL,
    month     text NOT NULL,          -- YYYY-MM (UTC) of `at`, for monthly caps
    at        timestamptz NOT NULL,
    UNIQUE (user_id, reason, source_id)
);
CREATE INDEX points_ledger_user ON points_ledger (user_id, id);

CREATE TABLE vouchers (
    id          uuid PRIMARY KEY,
    user_id     uuid NOT NULL REFERENCES users(id),
    points      integer NOT NULL CHECK (points > 0),
    partner_id  text REFERENCES partners(id),
    status      text NOT NULL CHECK (status IN ('issued', 'redeemed', 'expired')),
    created_at  timestamptz NOT NULL,
    expires_at  timestamptz NOT NULL,
    redeemed_at timestamptz,
    redeemed_by_partner text,          -- the cashier grant's scope
    redeemed_by_user    uuid REFERENCES users(id)
);
CREATE INDEX vouchers_issued_expiry ON vouchers (expires_at) WHERE status = 'issued';
CREATE INDEX vouchers_partner_day ON vouchers (redeemed_by_partner, redeemed_at);

CREATE TABLE redemption_attempts (
    attempt_id uuid PRIMARY KEY,
    voucher_id uuid NOT NULL,
    cashier_id uuid NOT NULL REFERENCES users(id),
    partner_id text NOT NULL,
    outcome    text NOT NULL,          -- 'redeemed' or the refusal code
    at         timestamptz NOT NULL
);
