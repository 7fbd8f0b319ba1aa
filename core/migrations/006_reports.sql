-- Version 6: problem reports. A report filed on this device is stored here and queued in
-- `report_outbox` in the same transaction; so are the resident's ratings and reopenings
-- (`report_actions`). Reports filed elsewhere and every status change arrive through sync.
-- Free text and photos are sealed (AES-256-GCM, like the other personal fields): residents write
-- names, apartment numbers and faces into them.

-- The resident's buildings (from `GET /v1/property`): where a report can be filed.
CREATE TABLE buildings (
    id TEXT PRIMARY KEY,
    address TEXT NOT NULL
);

-- The categories the server publishes (`GET /v1/report-categories`), in its order.
CREATE TABLE report_categories (
    code TEXT PRIMARY KEY,
    title TEXT NOT NULL,
    emergency INTEGER NOT NULL,
    deadline_hours INTEGER NOT NULL,
    position INTEGER NOT NULL
);

-- delivery: queued (its filing is in the outbox), filed (the server gave it a number),
-- rejected (the server refused the filing; reject_* say why). status is the server's.
CREATE TABLE reports (
    id TEXT PRIMARY KEY,                 -- the client's UUIDv7, the one id end to end
    building_id TEXT NOT NULL,
    category TEXT NOT NULL,
    text BLOB NOT NULL,                  -- sealed
    place BLOB NOT NULL,                 -- sealed
    photo_count INTEGER NOT NULL,
    content_sha256 TEXT,                 -- computed here over what was sent; NULL when filed elsewhere
    delivery TEXT NOT NULL CHECK (delivery IN ('queued', 'filed', 'rejected')),
    number TEXT,
    server_sha256 TEXT,                  -- what the server says it stored
    status TEXT NOT NULL,
    address TEXT,
    filed_at TEXT,
    due_at TEXT,
    rating INTEGER,
    reject_code TEXT,
    reject_message TEXT,
    rejected_at TEXT,
    created_at TEXT NOT NULL
);

CREATE TABLE report_photos (
    report_id TEXT NOT NULL REFERENCES reports (id) ON DELETE CASCADE,
    n INTEGER NOT NULL,
    jpeg BLOB NOT NULL,                  -- sealed, exactly the bytes sent
    PRIMARY KEY (report_id, n)
);

-- The history as the server reports it.
CREATE TABLE report_events (
    report_id TEXT NOT NULL REFERENCES reports (id) ON DELETE CASCADE,
    seq INTEGER NOT NULL,
    at TEXT NOT NULL,
    author TEXT NOT NULL,
    status TEXT,
    text BLOB,                           -- sealed
    PRIMARY KEY (report_id, seq)
);

-- Ratings and reopenings made on this device; the id is the server's idempotency key.
CREATE TABLE report_actions (
    id TEXT PRIMARY KEY,
    report_id TEXT NOT NULL REFERENCES reports (id) ON DELETE CASCADE,
    kind TEXT NOT NULL CHECK (kind IN ('rate', 'reopen')),
    stars INTEGER,
    text BLOB,                           -- sealed
    state TEXT NOT NULL CHECK (state IN ('queued', 'done', 'rejected')),
    reject_code TEXT,
    reject_message TEXT,
    rejected_at TEXT,
    created_at TEXT NOT NULL
);
CREATE INDEX report_actions_report ON report_actions (report_id, created_at);

-- Filings and actions waiting for the server's answer, in the order they were made. A row is
-- deleted only in the transaction that records the answer for that very item.
CREATE TABLE report_outbox (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    report_id TEXT UNIQUE REFERENCES reports (id) ON DELETE CASCADE,
    action_id TEXT UNIQUE REFERENCES report_actions (id) ON DELETE CASCADE,
    attempts INTEGER NOT NULL DEFAULT 0,
    last_error TEXT,
    last_attempt_at TEXT,
    CHECK ((report_id IS NULL) <> (action_id IS NULL))
);
