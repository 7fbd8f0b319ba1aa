-- The resident's report change feed that `/v1/sync` pages through (cursor part `e<seq>`): one row
-- per filing (event_seq NULL) and one per history event, numbered in commit order (SQLite has
-- one writer). `client_op` is the client's UUIDv7 of a resident action (rating, reopening) that
-- wrote the event: a retry with the same id is answered as a repeat, never applied twice.
CREATE TABLE report_feed (
    seq       INTEGER PRIMARY KEY AUTOINCREMENT,
    report_id TEXT NOT NULL REFERENCES reports(id),
    author_id TEXT NOT NULL,                    -- the resident whose feed it is
    event_seq INTEGER,                          -- report_events.seq, NULL for the filing
    client_op TEXT UNIQUE
);
CREATE INDEX report_feed_author ON report_feed (author_id, seq);

-- Reports and events stored before this migration, oldest first.
INSERT INTO report_feed (report_id, author_id, event_seq)
SELECT report_id, author_id, event_seq FROM (
    SELECT id AS report_id, author_id, NULL AS event_seq, filed_ms AS at_ms, 0 AS kind FROM reports
    UNION ALL
    SELECT e.report_id, r.author_id, e.seq, e.at_ms, 1
    FROM report_events e JOIN reports r ON r.id = e.report_id
)
ORDER BY at_ms, report_id, kind, event_seq;
