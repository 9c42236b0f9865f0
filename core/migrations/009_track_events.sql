-- v9: what the trajectory engine noticed between fixes: gaps with their reason, stops
-- (dwell) and arrivals at a stop's geofence. Uploaded with the fixes (sent_at), purged and
-- expired with them (same purpose and clocks).
CREATE TABLE track_events (
    seq          INTEGER PRIMARY KEY AUTOINCREMENT,
    order_id     TEXT NOT NULL,
    purpose      TEXT NOT NULL,
    kind         TEXT NOT NULL CHECK (kind IN ('gap', 'stop', 'arrival')),
    from_at      TEXT NOT NULL,
    to_at        TEXT NOT NULL,
    reason       TEXT,
    stop_index   INTEGER,
    lat          REAL CHECK (lat BETWEEN -90 AND 90),
    lon          REAL CHECK (lon BETWEEN -180 AND 180),
    collected_at TEXT NOT NULL,
    sent_at      TEXT
) STRICT;
CREATE INDEX track_events_by_order ON track_events (order_id, seq);

-- A batch now also carries the events up to `last_event_seq`, and may continue from the
-- previous batch's last fix (`anchor_seq`), which the server already holds. `newest_seq`:
-- the newest fix when the batch was cut (the fixes after `last_seq` wait for the next
-- batch); the upload cadence counts from it.
ALTER TABLE track_batches ADD COLUMN last_event_seq INTEGER NOT NULL DEFAULT 0;
ALTER TABLE track_batches ADD COLUMN anchor_seq INTEGER;
ALTER TABLE track_batches ADD COLUMN newest_seq INTEGER;
