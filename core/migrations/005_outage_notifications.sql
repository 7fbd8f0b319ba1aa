-- Version 5 (issue 8): which state of each of the resident's outages the resident was last told
-- about (`affected_now`, `planned`, `restored`; NULL = not told yet, e.g. only seen on the map), so
-- the app notices by itself when a planned outage starts or an outage reaches its expected end,
-- even with no change on the server and no network. Outages cached by an older build were told
-- about when they arrived: they start at their state now, so the upgrade notifies nobody.
ALTER TABLE outages ADD COLUMN notified_state TEXT;

UPDATE outages SET notified_state = CASE
    WHEN (json_extract(record, '$.ended_at') IS NOT NULL
          AND julianday(json_extract(record, '$.ended_at')) <= julianday('now'))
      OR (json_extract(record, '$.expected_end_at') IS NOT NULL
          AND julianday(json_extract(record, '$.expected_end_at')) <= julianday('now'))
        THEN 'restored'
    WHEN julianday(json_extract(record, '$.starts_at')) > julianday('now') THEN 'planned'
    ELSE 'affected_now'
END
WHERE mine = 1;
