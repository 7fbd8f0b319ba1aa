-- Meter readings: utility providers with their submission windows, and the readings themselves.
-- `readings.seq` is the change sequence `/v1/sync` cursors point into; writers take an advisory
-- lock around the insert so sequence order equals commit order (a cursor never skips a row that
-- commits later with a smaller number).

CREATE TABLE providers (
    id               text PRIMARY KEY,
    name             text NOT NULL,
    kind             text NOT NULL,
    window_start_day smallint NOT NULL,
    window_end_day   smallint NOT NULL
);

CREATE TABLE readings (
    id             uuid PRIMARY KEY,       -- client UUIDv7: the idempotency key forever
    seq            bigserial NOT NULL UNIQUE,
    meter_id       uuid NOT NULL REFERENCES meters(id),
    vals           text NOT NULL,          -- JSON [{"tariff", "value"}] exactly as submitted
    taken_at       timestamptz NOT NULL,   -- device time
    confirmed_jump boolean NOT NULL,
    received_at    timestamptz NOT NULL,   -- server time
    late           boolean NOT NULL
);
CREATE INDEX readings_meter ON readings(meter_id, taken_at, id);
