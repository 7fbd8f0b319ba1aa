-- Building footprints for the geolocation index (issue 5). Independent of `buildings` (the
-- property table): an operator may import footprints for buildings nobody has registered yet.
-- `footprint` is the GeoJSON MultiPolygon `coordinates` array as text (lon, lat; holes as
-- interior rings). `updated_ms` feeds the pack's data version.
CREATE TABLE geo_footprints (
    building_id TEXT PRIMARY KEY,
    region_id   TEXT NOT NULL,
    address     TEXT,
    company_id  TEXT,
    area_m2     REAL,
    footprint   TEXT NOT NULL,
    updated_ms  INTEGER NOT NULL
);
CREATE INDEX geo_footprints_region ON geo_footprints(region_id);
CREATE INDEX geo_footprints_address ON geo_footprints(address);
