-- Version 1: the resident's session, meters, readings and the upload outbox.
-- Personal fields (marked "sealed") hold AES-256-GCM blobs: nonce || ciphertext || tag.

CREATE TABLE key_check (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    sealed BLOB NOT NULL
);

CREATE TABLE session (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    user_id TEXT NOT NULL,
    token BLOB NOT NULL,          -- sealed
    phone BLOB,                   -- sealed
    expires_at TEXT NOT NULL
);

CREATE TABLE meters (
    id TEXT PRIMARY KEY,
    apartment_id TEXT NOT NULL,
    account_id TEXT NOT NULL,
    body TEXT NOT NULL,           -- the Meter as JSON (no personal data)
    window_start_day INTEGER,
    window_end_day INTEGER
);

CREATE TABLE accounts (
    id TEXT PRIMARY KEY,
    apartment_id TEXT NOT NULL,
    provider_id TEXT NOT NULL,
    number BLOB NOT NULL,         -- sealed
    holder_name BLOB NOT NULL     -- sealed
);

-- Every reading the resident made on this device or the server reported: the local record.
-- state: queued (in the outbox), accepted (server stored it), rejected (see rejected_readings).
CREATE TABLE readings (
    id TEXT PRIMARY KEY,
    meter_id TEXT NOT NULL,
    reading_values TEXT NOT NULL, -- [TariffValue] as JSON, exactly as sent
    taken_at TEXT NOT NULL,
    confirmed_jump INTEGER NOT NULL DEFAULT 0,
    state TEXT NOT NULL CHECK (state IN ('queued', 'accepted', 'rejected')),
    received_at TEXT,
    late INTEGER NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL
);
CREATE INDEX readings_meter_taken ON readings (meter_id, taken_at);

-- Readings waiting for an answer from the server, in queue order.
CREATE TABLE outbox (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    reading_id TEXT NOT NULL UNIQUE REFERENCES readings (id) ON DELETE CASCADE,
    attempts INTEGER NOT NULL DEFAULT 0,
    last_error TEXT
);

-- Why a reading was refused, by this device's check or by the server.
CREATE TABLE rejected_readings (
    reading_id TEXT PRIMARY KEY REFERENCES readings (id) ON DELETE CASCADE,
    code TEXT NOT NULL,
    message TEXT NOT NULL,
    rejected_at TEXT NOT NULL
);

CREATE TABLE sync_cursor (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    cursor TEXT NOT NULL
);
