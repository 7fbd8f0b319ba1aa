-- Bonus points: partners and their offers, the append-only ledger, vouchers and redemption attempts.
-- The balance is SUM(points_ledger.delta) for a user; writers check it inside the same transaction.

CREATE TABLE partners (
    id         TEXT PRIMARY KEY,
    name       TEXT NOT NULL,
    created_at INTEGER NOT NULL
);

CREATE TABLE partner_offers (
    id         TEXT PRIMARY KEY,
    partner_id TEXT NOT NULL REFERENCES partners(id),
    title      TEXT NOT NULL,
    points     INTEGER NOT NULL CHECK (points > 0),
    discount   TEXT NOT NULL,
    created_at INTEGER NOT NULL
);

CREATE TABLE points_ledger (
    id        INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id   TEXT NOT NULL REFERENCES users(id),
    delta     INTEGER NOT NULL,
    reason    TEXT NOT NULL,
    source_id TEXT NOT NULL,
    month     TEXT NOT NULL,          -- YYYY-MM (UTC) of `at`, for monthly caps
    at        INTEGER NOT NULL,
    UNIQUE (user_id, reason, source_id)
);
CREATE INDEX points_ledger_user ON points_ledger (user_id, id);

CREATE TABLE vouchers (
    id          TEXT PRIMARY KEY,
    user_id     TEXT NOT NULL REFERENCES users(id),
    points      INTEGER NOT NULL CHECK (points > 0),
    partner_id  TEXT REFERENCES partners(id),
    status      TEXT NOT NULL CHECK (status IN ('issued', 'redeemed', 'expired')),
    created_at  INTEGER NOT NULL,
    expires_at  INTEGER NOT NULL,
    redeemed_at INTEGER,
    redeemed_by_partner TEXT,          -- the cashier grant's scope
    redeemed_by_user    TEXT REFERENCES users(id)
);
CREATE INDEX vouchers_issued_expiry ON vouchers (expires_at) WHERE status = 'issued';
CREATE INDEX vouchers_partner_day ON vouchers (redeemed_by_partner, redeemed_at);

CREATE TABLE redemption_attempts (
    attempt_id TEXT PRIMARY KEY,
    voucher_id TEXT NOT NULL,
    cashier_id TEXT NOT NULL REFERENCES users(id),
    partner_id TEXT NOT NULL,
    outcome    TEXT NOT NULL,          -- 'redeemed' or the refusal code
    at         INTEGER NOT NULL
);
