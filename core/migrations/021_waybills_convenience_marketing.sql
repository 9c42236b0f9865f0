-- Waybill numbers (seed 000): the server's number of each order, shown to its parties.
ALTER TABLE orders ADD COLUMN waybill_no TEXT;
-- Waybills looked up or followed (P-39 convenience data, under `convenience`): the number
-- and what the server last said, sealed; `queried_at` (plain, indexed) starts retention.
CREATE TABLE waybills (
    id         INTEGER PRIMARY KEY,
    purpose    TEXT NOT NULL,
    number     BLOB NOT NULL,
    status     BLOB NOT NULL,
    milestones BLOB NOT NULL,
    followed   INTEGER NOT NULL DEFAULT 0,
    queried_at TEXT NOT NULL,
    checked_at TEXT NOT NULL
) STRICT;
CREATE INDEX waybills_by_queried ON waybills (queried_at);
-- Recent addresses and the last sender of the shipper's errands (P-39, `convenience`).
CREATE TABLE convenience (
    id         INTEGER PRIMARY KEY,
    purpose    TEXT NOT NULL,
    kind       TEXT NOT NULL,
    value      BLOB NOT NULL,
    used_at    TEXT NOT NULL
) STRICT;
CREATE INDEX convenience_by_used ON convenience (used_at);
-- Marketing messages (P-64, `marketing`), each with its unsubscribe.
CREATE TABLE marketing_messages (
    id          TEXT PRIMARY KEY NOT NULL,
    purpose     TEXT NOT NULL,
    title       BLOB NOT NULL,
    body        BLOB NOT NULL,
    received_at TEXT NOT NULL
) STRICT;
CREATE INDEX marketing_by_received ON marketing_messages (received_at);
