-- Building footprints for the geolocation index (issue 5). Independent of `buildings` (the
-- property table): an operator may import footprints for buildings nobody has registered yet.
-- `footprint` is the GeoJSON MultiPolygon `coordinates` array as text (lon, lat; holes as
-- interior rings). `updated_ms` feeds the pack's data version.
CREATE TABLE geo_footprints (
    building_id text PRIMARY KEY,
    region_id   text NOT NULL,
    address     text,
    company_id  text,
    area_m2     double precision,
    footprint   text NOT NULL,
    updated_ms  bigint NOT NULL
);
CREATE INDEX geo_footprints_region ON geo_footprints(region_id);
CREATE INDEX geo_footprints_address ON geo_footprints(address);
