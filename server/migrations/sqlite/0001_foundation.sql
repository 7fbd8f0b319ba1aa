-- Foundation: users, roles, one-time codes, sessions, rate limits, and the property tree.
-- Ids are TEXT (UUIDv7 strings sort by time); timestamps are unix milliseconds.

CREATE TABLE users (
    id          TEXT PRIMARY KEY,
    phone_index BLOB NOT NULL UNIQUE,   -- HMAC-SHA256(secret, phone)
    phone_enc   BLOB NOT NULL,          -- AES-256-GCM(nonce ‖ ciphertext ‖ tag)
    created_at  INTEGER NOT NULL
);

CREATE TABLE user_roles (
    user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    role    TEXT NOT NULL,
    scope   TEXT NOT NULL DEFAULT '',   -- company / partner / region id; '' when unscoped
    PRIMARY KEY (user_id, role, scope)
);

CREATE TABLE otp_codes (
    phone_index BLOB PRIMARY KEY,
    code_hash   BLOB NOT NULL,          -- HMAC-SHA256(secret, phone ‖ code); never the code
    created_at  INTEGER NOT NULL,
    expires_at  INTEGER NOT NULL,
    attempts    INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE rate_counters (
    bucket       TEXT NOT NULL,
    window_start INTEGER NOT NULL,
    hits         INTEGER NOT NULL,
    PRIMARY KEY (bucket, window_start)
);

CREATE TABLE sessions (
    token_hash BLOB PRIMARY KEY,        -- SHA-256 of the bearer token
    user_id    TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
);
CREATE INDEX sessions_user ON sessions(user_id);

CREATE TABLE companies (
    id        TEXT PRIMARY KEY,
    name      TEXT NOT NULL,
    tax_id    TEXT,
    phone     TEXT,
    email     TEXT,
    region_id TEXT NOT NULL
);

CREATE TABLE buildings (
    id         TEXT PRIMARY KEY,
    address    TEXT NOT NULL,
    company_id TEXT REFERENCES companies(id),
    region_id  TEXT NOT NULL,
    lat        REAL NOT NULL,
    lon        REAL NOT NULL
);
CREATE INDEX buildings_company ON buildings(company_id);

CREATE TABLE apartments (
    id          TEXT PRIMARY KEY,
    building_id TEXT NOT NULL REFERENCES buildings(id),
    number      TEXT NOT NULL,
    UNIQUE (building_id, number)
);

CREATE TABLE accounts (
    id           TEXT PRIMARY KEY,
    apartment_id TEXT NOT NULL REFERENCES apartments(id),
    provider_id  TEXT NOT NULL,
    number       TEXT NOT NULL,
    holder_name  TEXT NOT NULL
);
CREATE INDEX accounts_apartment ON accounts(apartment_id);

CREATE TABLE meters (
    id                   TEXT PRIMARY KEY,
    apartment_id         TEXT NOT NULL REFERENCES apartments(id),
    account_id           TEXT NOT NULL REFERENCES accounts(id),
    kind                 TEXT NOT NULL,
    serial               TEXT NOT NULL,
    integer_digits       INTEGER NOT NULL,
    fraction_digits      INTEGER NOT NULL,
    tariffs              TEXT NOT NULL,  -- JSON array of tariff names
    installed_on         TEXT NOT NULL,  -- YYYY-MM-DD
    next_verification_on TEXT,
    replaces             TEXT REFERENCES meters(id)
);
CREATE INDEX meters_apartment ON meters(apartment_id);

CREATE TABLE resident_apartments (
    user_id      TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    apartment_id TEXT NOT NULL REFERENCES apartments(id),
    PRIMARY KEY (user_id, apartment_id)
);
