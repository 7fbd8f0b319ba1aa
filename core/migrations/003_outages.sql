-- Version 3: outages cached for offline viewing. The server's record is kept whole as JSON (its
-- shape is the wire type); `updated_at` is the server's change stamp (a pull with the same stamp
-- is not a change), `fetched_at` when this device last received it, `mine` whether it hits one
-- of the resident's buildings (came through sync) or is only nearby.

CREATE TABLE outages (
    id TEXT PRIMARY KEY,
    record TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    fetched_at TEXT NOT NULL,
    mine INTEGER NOT NULL
);
