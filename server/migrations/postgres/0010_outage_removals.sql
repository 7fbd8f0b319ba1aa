-- Buildings taken out of an outage's area (issue 8). The phones of their residents hold the outage
-- as theirs; sync tells them to drop it. One row per (outage, building), stamped with the outage
-- change that removed it; putting the building back deletes the row.
CREATE TABLE outage_removals (
    outage_id   uuid NOT NULL REFERENCES outages(id) ON DELETE CASCADE,
    building_id text NOT NULL,
    removed_at  timestamptz NOT NULL,
    PRIMARY KEY (outage_id, building_id)
);
CREATE INDEX outage_removals_building ON outage_removals(building_id, removed_at);
