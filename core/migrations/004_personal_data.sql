-- v4: personal data the device holds for a purpose, the transparency log and the user's
-- rights requests. Every personal row names the purpose it was collected for: withdrawal
-- purges by purpose, and the retention sweep reads the purpose's period from the manifest.

-- Order closing starts the retention clock of the order's personal data (seed 000:
-- logistics details are kept for a period after the order ends, then deleted).
ALTER TABLE orders ADD COLUMN closed_at TEXT;

-- Consignor and consignee contact of an order this driver holds (seed 002: "accepting
-- orders ... needs consignee data"). Shown in full only while the order is assigned and
-- open (P-29); kept masked afterwards until the retention sweep deletes it.
CREATE TABLE order_parties (
    order_id          TEXT PRIMARY KEY NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
    purpose           TEXT NOT NULL,
    consignor_name    TEXT NOT NULL,
    consignor_phone   TEXT NOT NULL,
    consignee_name    TEXT NOT NULL,
    consignee_phone   TEXT NOT NULL,
    consignee_address TEXT NOT NULL,
    collected_at      TEXT NOT NULL
) STRICT;

-- Location fixes recorded during a job, waiting for upload (sent_at NULL) or kept after
-- upload until their retention ends.
CREATE TABLE track_fixes (
    seq          INTEGER PRIMARY KEY AUTOINCREMENT,
    order_id     TEXT NOT NULL,
    purpose      TEXT NOT NULL,
    at           TEXT NOT NULL,
    lat          REAL NOT NULL CHECK (lat BETWEEN -90 AND 90),
    lon          REAL NOT NULL CHECK (lon BETWEEN -180 AND 180),
    accuracy_m   REAL,
    collected_at TEXT NOT NULL,
    sent_at      TEXT
) STRICT;
CREATE INDEX track_fixes_by_order ON track_fixes (order_id, seq);

-- What was collected, sent, purged, expired or exported: when, for which purpose, which
-- categories, to whom and how many items. Counts and categories only, never the values.
CREATE TABLE transparency_log (
    seq        INTEGER PRIMARY KEY AUTOINCREMENT,
    at         TEXT NOT NULL,
    action     TEXT NOT NULL CHECK (action IN
                   ('collected', 'sent', 'received', 'purged', 'expired', 'exported', 'erased')),
    purpose    TEXT NOT NULL,
    categories TEXT NOT NULL,
    recipient  TEXT,
    items      INTEGER NOT NULL CHECK (items >= 0)
) STRICT;

-- Rights requests (access, correction, deletion, account cancellation) with the deadline
-- the policy promises. `id` doubles as the idempotency key of the submission.
CREATE TABLE rights_requests (
    id           TEXT PRIMARY KEY NOT NULL,
    kind         TEXT NOT NULL CHECK (kind IN ('access', 'correction', 'deletion', 'cancellation')),
    detail       TEXT NOT NULL,
    status       TEXT NOT NULL CHECK (status IN ('queued', 'received', 'completed', 'refused')),
    created_at   TEXT NOT NULL,
    due_at       TEXT NOT NULL,
    submitted_at TEXT,
    answer       TEXT
) STRICT;
