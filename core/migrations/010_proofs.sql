-- v10: photo proofs taken for an order step. The file lives in the app-private proofs/
-- folder under its SHA-256 (the proof's identity and the server's dedup key); this row is
-- its record and its place in the upload queue.
CREATE TABLE proofs (
    sha256              TEXT PRIMARY KEY NOT NULL,
    order_id            TEXT NOT NULL,
    purpose             TEXT NOT NULL,
    kind                TEXT NOT NULL
                        CHECK (kind IN ('pickup', 'delivery', 'signature', 'damage', 'receipt', 'scan')),
    step                TEXT NOT NULL,
    file_name           TEXT NOT NULL,
    bytes               INTEGER NOT NULL CHECK (bytes > 0),
    captured_at         TEXT NOT NULL,
    captured_elapsed_ms INTEGER,
    collected_at        TEXT NOT NULL,
    upload_url          TEXT,
    upload_offset       INTEGER NOT NULL DEFAULT 0,
    uploaded_at         TEXT
) STRICT;
CREATE INDEX proofs_by_order ON proofs (order_id);

-- An unfinished upload whose proof is deleted (withdrawn, purged, discarded) is ended on
-- the server too (tus termination) by the next sync. The URL names no one.
CREATE TABLE proof_terminations (
    url TEXT PRIMARY KEY NOT NULL
) STRICT;
CREATE TRIGGER proofs_terminate_unfinished AFTER DELETE ON proofs
WHEN old.upload_url IS NOT NULL AND old.uploaded_at IS NULL
BEGIN
    INSERT OR IGNORE INTO proof_terminations (url) VALUES (old.upload_url);
END;

-- Where the driver was when a proof was taken (the leg's last kept fix): precise location,
-- so it belongs to the trajectory purpose and is purged and swept with it.
CREATE TABLE proof_fixes (
    sha256       TEXT PRIMARY KEY NOT NULL,
    order_id     TEXT NOT NULL,
    purpose      TEXT NOT NULL,
    lat          REAL NOT NULL CHECK (lat BETWEEN -90 AND 90),
    lon          REAL NOT NULL CHECK (lon BETWEEN -180 AND 180),
    accuracy_m   REAL,
    fix_at       TEXT NOT NULL,
    collected_at TEXT NOT NULL
) STRICT;
