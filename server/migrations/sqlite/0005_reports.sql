-- Problem reports: filed content is immutable (content_sha256 covers it); status, rating and the
-- event history change. Numbers come from a per-year counter. Times are unix millis.
CREATE TABLE report_numbers (
    year INTEGER PRIMARY KEY,
    last INTEGER NOT NULL
);

CREATE TABLE reports (
    id             TEXT PRIMARY KEY,            -- the client's UUIDv7
    number         TEXT NOT NULL UNIQUE,        -- e.g. 2026-000123
    author_id      TEXT NOT NULL REFERENCES users(id),
    building_id    TEXT NOT NULL REFERENCES buildings(id),
    company_id     TEXT REFERENCES companies(id),
    region_id      TEXT NOT NULL,
    category       TEXT NOT NULL,
    text           TEXT NOT NULL,
    place          TEXT NOT NULL,
    content_sha256 TEXT NOT NULL,
    photo_count    INTEGER NOT NULL,
    status         TEXT NOT NULL,
    filed_ms       INTEGER NOT NULL,
    due_ms         INTEGER NOT NULL,
    answered_ms    INTEGER,                     -- first resolve/reject (on-time share)
    rating         INTEGER
);
CREATE INDEX reports_author ON reports (author_id, filed_ms);
CREATE INDEX reports_company ON reports (company_id, due_ms);
CREATE INDEX reports_region ON reports (region_id, due_ms);

CREATE TABLE report_photos (
    report_id TEXT NOT NULL REFERENCES reports(id),
    n         INTEGER NOT NULL,
    jpeg      BLOB NOT NULL,
    PRIMARY KEY (report_id, n)
);

CREATE TABLE report_events (
    report_id TEXT NOT NULL REFERENCES reports(id),
    seq       INTEGER NOT NULL,
    at_ms     INTEGER NOT NULL,
    author    TEXT NOT NULL,                    -- resident | company
    status    TEXT,                             -- the status after, when it changed
    text      TEXT,
    PRIMARY KEY (report_id, seq)
);
