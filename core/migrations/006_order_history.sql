-- v6: each order's history as this device saw it: the user's own actions (with when they
-- took them and what became of them) and the server's changes, so the UI can show both
-- facts of a conflict ("you picked up at 10:02; the shipper had cancelled at 09:58").
CREATE TABLE order_history (
    seq        INTEGER PRIMARY KEY AUTOINCREMENT,
    order_id   TEXT NOT NULL,
    event      TEXT NOT NULL,
    source     TEXT NOT NULL CHECK (source IN ('me', 'server')),
    at         TEXT NOT NULL,
    note       TEXT,
    -- For my actions: 'pending', 'confirmed', 'refused' or 'withdrawn'.
    state      TEXT CHECK (state IN ('pending', 'confirmed', 'refused', 'withdrawn')),
    action_key TEXT UNIQUE
) STRICT;
CREATE INDEX order_history_by_order ON order_history (order_id, seq);

-- When the refused action was taken, for the conflict view.
ALTER TABLE rejections ADD COLUMN taken_at TEXT;
