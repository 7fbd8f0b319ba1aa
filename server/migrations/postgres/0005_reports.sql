-- Problem reports: filed content is immutable (content_sha256 covers it); status, rating and the
-- event history change. Numbers come from a per-year counter. Times are unix millis.
CREATE TABLE report_numbers (
    year integer PRIMARY KEY,
    last bigint NOT NULL
);

CREATE TABLE reports (
    id             uuid PRIMARY KEY,            -- the client's UUIDv7
    number         text NOT NULL UNIQUE,        -- e.g. 2026-000123
    author_id      uuid NOT NULL REFERENCES users(id),
    building_id    text NOT NULL REFERENCES buildings(id),
    company_id     text REFERENCES companies(id),
    region_id      text NOT NULL,
    category       text NOT NULL,
    text           text NOT NULL,
    place          text NOT NULL,
    content_sha256 text NOT NULL,
    photo_count    bigint NOT NULL,
    status         text NOT NULL,
    filed_ms       bigint NOT NULL,
    due_ms         bigint NOT NULL,
    answered_ms    bigint,                     -- first resolve/reject (on-time share)
    rating         bigint
);
CREATE INDEX reports_author ON reports (author_id, filed_ms);
CREATE INDEX reports_company ON reports (company_id, due_ms);
CREATE INDEX reports_region ON reports (region_id, due_ms);

CREATE TABLE report_photos (
    report_id uuid NOT NULL REFERENCES reports(id),
    n         bigint NOT NULL,
    jpeg      bytea NOT NULL,
    PRIMARY KEY (report_id, n)
);

CREATE TABLE report_events (
    report_id uuid NOT NULL REFERENCES reports(id),
    seq       bigint NOT NULL,
    at_ms     bigint NOT NULL,
    author    text NOT NULL,                    -- resident | company
    status    text,                             -- the status after, when it changed
    text      text,
    PRIMARY KEY (report_id, seq)
);
