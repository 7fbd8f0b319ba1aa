-- Version 2: a local log of what happened to the resident's items, so the app can show it even
-- when no listener was attached (accepted, rejected, later: report status, points), and the time
-- of the last upload attempt per outbox row.

CREATE TABLE events (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    at TEXT NOT NULL,
    kind TEXT NOT NULL,
    item_id TEXT,
    detail TEXT
);

ALTER TABLE outbox ADD COLUMN last_attempt_at TEXT;
