-- Outages and planned works, the buildings they hit, and repairs companies publish.
CREATE TABLE outages (
    id              uuid PRIMARY KEY,
    company_id      text REFERENCES companies(id),
    utility         text NOT NULL,
    kind            text NOT NULL,
    starts_at       timestamptz NOT NULL,
    expected_end_at timestamptz,
    ended_at        timestamptz,
    description     text NOT NULL,
    updated_at      timestamptz NOT NULL
);
CREATE INDEX outages_updated ON outages(updated_at);

CREATE TABLE outage_buildings (
    outage_id   uuid NOT NULL REFERENCES outages(id) ON DELETE CASCADE,
    building_id text NOT NULL REFERENCES buildings(id),
    PRIMARY KEY (outage_id, building_id)
);
CREATE INDEX outage_buildings_building ON outage_buildings(building_id);

CREATE INDEX buildings_lat_lon ON buildings(lat, lon);

CREATE TABLE repairs (
    id          bigserial PRIMARY KEY,
    building_id text NOT NULL REFERENCES buildings(id),
    title       text NOT NULL,
    date        date NOT NULL,
    done        boolean NOT NULL
);
CREATE INDEX repairs_building ON repairs(building_id, date);
