-- The managing company's cabinet and the public rating: one-time staff invites, the staff's
-- names, who a report is assigned to, and the regulator's rating criteria per company.
-- Times are unix millis.

CREATE TABLE staff_invites (
    token_hash  BLOB PRIMARY KEY,               -- SHA-256 of the link's token; never the token
    company_id  TEXT NOT NULL REFERENCES companies(id),
    name        TEXT NOT NULL,                  -- who the inviter meant ("Chief engineer")
    email       TEXT,                           -- where the link was mailed, if it was
    created_by  TEXT REFERENCES users(id),      -- NULL: sent by the server on a first report
    created_ms  INTEGER NOT NULL,
    expires_ms  INTEGER NOT NULL,
    used_ms     INTEGER,
    used_by     TEXT REFERENCES users(id)
);
CREATE INDEX staff_invites_company ON staff_invites (company_id, expires_ms);

CREATE TABLE staff_members (
    company_id TEXT NOT NULL REFERENCES companies(id),
    user_id    TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    name       TEXT NOT NULL,
    joined_ms  INTEGER NOT NULL,
    PRIMARY KEY (company_id, user_id)
);

CREATE TABLE report_assignments (
    report_id   TEXT PRIMARY KEY REFERENCES reports(id),
    user_id     TEXT NOT NULL REFERENCES users(id),
    assigned_ms INTEGER NOT NULL
);

CREATE TABLE rating_criteria (
    company_id         TEXT PRIMARY KEY REFERENCES companies(id),
    period             TEXT NOT NULL,          -- as the regulator names it, e.g. 2025-Q4
    buildings          INTEGER NOT NULL,
    area_m2            REAL NOT NULL,
    years_managed      INTEGER NOT NULL,
    inspections        INTEGER NOT NULL,
    orders_issued      INTEGER NOT NULL,
    orders_unfulfilled INTEGER NOT NULL,
    penalties          INTEGER NOT NULL,
    undisclosed        INTEGER NOT NULL,       -- disclosure-standard violations found
    imported_ms        INTEGER NOT NULL
);
