-- Version 4: bonus points as the last sync (or voucher) delivered them, so the app shows the
-- balance, its history and the partners' offers offline, and a till checks vouchers offline
-- against the server's voucher keys. Every table is a copy of the server's view, replaced whole on
-- each pull; nothing here is queued for upload.

CREATE TABLE points_balance (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    balance INTEGER NOT NULL,
    synced_at TEXT NOT NULL
);

-- The newest ledger entries, `pos` 0 being the newest.
CREATE TABLE points_history (
    pos INTEGER PRIMARY KEY,
    delta INTEGER NOT NULL,
    reason TEXT NOT NULL,
    at TEXT NOT NULL,
    source_id TEXT
);

CREATE TABLE partner_offers (
    id TEXT PRIMARY KEY,
    partner_id TEXT NOT NULL,
    partner_name TEXT NOT NULL,
    title TEXT NOT NULL,
    points INTEGER NOT NULL,
    discount TEXT NOT NULL
);

-- Trust entries (`KEYID:BASE64PUBKEY`) of the keys that sign vouchers.
CREATE TABLE voucher_keys (
    entry TEXT PRIMARY KEY
);
