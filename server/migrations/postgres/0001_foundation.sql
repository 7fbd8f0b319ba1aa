-- Foundation: users, roles, one-time codes, sessions, rate limits, and the property tree.

CREATE TABLE users (
    id          uuid PRIMARY KEY,
    phone_index bytea NOT NULL UNIQUE,   -- HMAC-SHA256(secret, phone)
    phone_enc   bytea NOT NULL,          -- AES-256-GCM(nonce ‖ ciphertext ‖ tag)
    created_at  timestamptz NOT NULL
);

CREATE TABLE user_roles (
    user_id uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    role    text NOT NULL,
    scope   text NOT NULL DEFAULT '',    -- company / partner / region id; '' when unscoped
    PRIMARY KEY (user_id, role, scope)
);

CREATE TABLE otp_codes (
    phone_index bytea PRIMARY KEY,
    code_hash   bytea NOT NULL,          -- HMAC-SHA256(secret, phone ‖ code); never the code
    created_at  timestamptz NOT NULL,
    expires_at  timestamptz NOT NULL,
    attempts    integer NOT NULL DEFAULT 0
);

CREATE TABLE rate_counters (
    bucket       text NOT NULL,
    window_start timestamptz NOT NULL,
    hits         integer NOT NULL,
    PRIMARY KEY (bucket, window_start)
);

CREATE TABLE sessions (
    token_hash bytea PRIMARY KEY,        -- SHA-256 of the bearer token
    user_id    uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    created_at timestamptz NOT NULL,
    expires_at timestamptz NOT NULL
);
CREATE INDEX sessions_user ON sessions(user_id);

CREATE TABLE companies (
    id        text PRIMARY KEY,
    name      text NOT NULL,
    tax_id    text,
    phone     text,
    email     text,
    region_id text NOT NULL
);

CREATE TABLE buildings (
    id         text PRIMARY KEY,
    address    text NOT NULL,
    company_id text REFERENCES companies(id),
    region_id  text NOT NULL,
    lat        double precision NOT NULL,
    lon        double precision NOT NULL
);
CREATE INDEX buildings_company ON buildings(company_id);

CREATE TABLE apartments (
    id          uuid PRIMARY KEY,
    building_id text NOT NULL REFERENCES buildings(id),
    number      text NOT NULL,
    UNIQUE (building_id, number)
);

CREATE TABLE accounts (
    id           uuid PRIMARY KEY,
    apartment_id uuid NOT NULL REFERENCES apartments(id),
    provider_id  text NOT NULL,
    number       text NOT NULL,
    holder_name  text NOT NULL
);
CREATE INDEX accounts_apartment ON accounts(apartment_id);

CREATE TABLE meters (
    id                   uuid PRIMARY KEY,
    apartment_id         uuid NOT NULL REFERENCES apartments(id),
    account_id           uuid NOT NULL REFERENCES accounts(id),
    kind                 text NOT NULL,
    serial               text NOT NULL,
    integer_digits       smallint NOT NULL,
    fraction_digits      smallint NOT NULL,
    tariffs              jsonb NOT NULL,
    installed_on         date NOT NULL,
    next_verification_on date,
    replaces             uuid REFERENCES meters(id)
);
CREATE INDEX meters_apartment ON meters(apartment_id);

CREATE TABLE resident_apartments (
    user_id      uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    apartment_id uuid NOT NULL REFERENCES apartments(id),
    PRIMARY KEY (user_id, apartment_id)
);
