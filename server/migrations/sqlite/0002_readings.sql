-- Meter readings: utility providers with their submission windows, and the readings themselves.
-- `readings.seq` is the rowid: it grows with every insert (rows are never deleted), which makes
-- it the change sequence `/v1/sync` cursors point into, and keeps inserts appending.

CREATE TABLE providers (
    id               TEXT PRIMARY KEY,
    name             TEXT NOT NULL,
    kind             TEXT NOT NULL,
    window_start_day INTEGER NOT NULL,
    window_end_day   INTEGER NOT NULL
);

CREATE TABLE readings (
    seq            INTEGER PRIMARY KEY,
    id             TEXT NOT NULL UNIQUE,   -- client UUIDv7: the idempotency key forever
    meter_id       TEXT NOT NULL REFERENCES meters(id),
    vals           TEXT NOT NULL,          -- JSON [{"tariff", "value"}] exactly as submitted
    taken_at_us    INTEGER NOT NULL,       -- device time, unix microseconds
    confirmed_jump INTEGER NOT NULL,
    received_at_us INTEGER NOT NULL,       -- server time, unix microseconds
    late           INTEGER NOT NULL
);
CREATE INDEX readings_meter ON readings(meter_id, taken_at_us, id);
