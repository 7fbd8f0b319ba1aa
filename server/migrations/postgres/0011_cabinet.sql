-- The managing company's cabinet and the public rating: one-time staff invites, the staff's
-- names, who a report is assigned to, and the regulator's rating criteria per company.
-- Times are unix millis.

CREATE TABLE staff_invites (
    token_hash  bytea PRIMARY KEY,               -- SHA-256 of the link's token; never the token
    company_id  text NOT NULL REFERENCES companies(id),
    name        text NOT NULL,                  -- who the inviter meant ("Chief engineer")
    email       text,                           -- where the link was mailed, if it was
    created_by  uuid REFERENCES users(id),      -- NULL: sent by the server on a first report
    created_ms  bigint NOT NULL,
    expires_ms  bigint NOT NULL,
    used_ms     bigint,
    used_by     uuid REFERENCES users(id)
);
CREATE INDEX staff_invites_company ON staff_invites (company_id, expires_ms);

CREATE TABLE staff_members (
    company_id text NOT NULL REFERENCES companies(id),
    user_id    uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    name       text NOT NULL,
    joined_ms  bigint NOT NULL,
    PRIMARY KEY (company_id, user_id)
);

CREATE TABLE report_assignments (
    report_id   uuid PRIMARY KEY REFERENCES reports(id),
    user_id     uuid NOT NULL REFERENCES users(id),
    assigned_ms bigint NOT NULL
);

CREATE TABLE rating_criteria (
    company_id         text PRIMARY KEY REFERENCES companies(id),
    period             text NOT NULL,          -- as the regulator names it, e.g. 2025-Q4
    buildings          bigint NOT NULL,
    area_m2            double precision NOT NULL,
    years_managed      bigint NOT NULL,
    inspections        bigint NOT NULL,
    orders_issued      bigint NOT NULL,
    orders_unfulfilled bigint NOT NULL,
    penalties          bigint NOT NULL,
    undisclosed        bigint NOT NULL,       -- disclosure-standard violations found
    imported_ms        bigint NOT NULL
);
