-- Version 7: where the resident's buildings stand (from `GET /v1/property`), so an outage that
-- hits one of them can be drawn on the map. NULL until the next property refresh.
ALTER TABLE buildings ADD COLUMN lat REAL;
ALTER TABLE buildings ADD COLUMN lon REAL;
