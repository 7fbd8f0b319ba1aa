-- Outages and planned works, the buildings they hit, and repairs companies publish.
CREATE TABLE outages (
    id              TEXT PRIMARY KEY,
    company_id      TEXT REFERENCES companies(id),
    utility         TEXT NOT NULL,
    kind            TEXT NOT NULL,
    starts_at       INTEGER NOT NULL,
    expected_end_at INTEGER,
    ended_at        INTEGER,
    description     TEXT NOT NULL,
    updated_at      INTEGER NOT NULL
);
CREATE INDEX outages_updated ON outages(updated_at);

CREATE TABLE outage_buildings (
    outage_id   TEXT NOT NULL REFERENCES outages(id) ON DELETE CASCADE,
    building_id TEXT NOT NULL REFERENCES buildings(id),
    PRIMARY KEY (outage_id, building_id)
);
CREATE INDEX outage_buildings_building ON outage_buildings(building_id);

CREATE INDEX buildings_lat_lon ON buildings(lat, lon);

CREATE TABLE repairs (
    id          INTEGER PRIMARY KEY,
    building_id TEXT NOT NULL REFERENCES buildings(id),
    title       TEXT NOT NULL,
    date        TEXT NOT NULL,
    done        INTEGER NOT NULL
);
CREATE INDEX repairs_building ON repairs(building_id, date);
