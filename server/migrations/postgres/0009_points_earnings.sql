-- Earnings waiting to be settled into the points ledger. The transaction that stores an earning
-- event (an on-time reading, a rating) inserts its row here, so the event and its claim to points
-- commit together; the settler (server::points) turns each row into a ledger entry and deletes it
-- in one transaction. A crash between the two leaves the row for the next settle, and the ledger's
-- UNIQUE (user_id, reason, source_id) keeps a settle that runs twice (or in two processes) from
-- awarding twice.

CREATE TABLE points_earnings (
    user_id   uuid NOT NULL REFERENCES users(id),
    reason    text NOT NULL,
    source_id text NOT NULL,
    earned_at timestamptz NOT NULL,    -- server clock; its UTC month picks the cap
    PRIMARY KEY (user_id, reason, source_id)
);
CREATE INDEX points_earnings_age ON points_earnings (earned_at);

-- Monthly caps sum one reason of one user in one month.
CREATE INDEX points_ledger_cap ON points_ledger (user_id, reason, month);
