-- Personal columns sealed at rest (docs/at-rest.md): each becomes a BLOB written by
-- seal() and read through unseal(), functions the core registers with the data key
-- before migrating. Existing rows are sealed here, in the same transaction. Range
-- checks on coordinates move to the code that validates fixes (ciphertext has no range).

CREATE TABLE session_v11 (
    id         INTEGER PRIMARY KEY CHECK (id = 1),
    account_id TEXT NOT NULL,
    token      BLOB NOT NULL,
    server_url TEXT NOT NULL,
    created_at TEXT NOT NULL
) STRICT;
INSERT INTO session_v11 SELECT id, account_id, seal(token), server_url, created_at FROM session;
DROP TABLE session;
ALTER TABLE session_v11 RENAME TO session;

CREATE TABLE orders_v11 (
    id            TEXT PRIMARY KEY NOT NULL,
    status        TEXT NOT NULL CHECK (status IN
                      ('open', 'accepted', 'picked_up', 'delivered', 'cancelled')),
    pickup_label  BLOB NOT NULL,
    pickup_lat    BLOB NOT NULL,
    pickup_lon    BLOB NOT NULL,
    dropoff_label BLOB NOT NULL,
    goods         TEXT NOT NULL,
    weight_kg     REAL NOT NULL,
    fee_minor     INTEGER NOT NULL,
    currency      TEXT NOT NULL,
    assigned_to_me INTEGER NOT NULL DEFAULT 0 CHECK (assigned_to_me IN (0, 1)),
    revision      INTEGER NOT NULL,
    updated_at    TEXT NOT NULL,
    fetched_at    TEXT NOT NULL,
    closed_at     TEXT,
    placed_by_me  INTEGER NOT NULL DEFAULT 0 CHECK (placed_by_me IN (0, 1)),
    -- JSON list of the stops (sealed: drop-off positions and addresses).
    stops_json    BLOB NOT NULL,
    appointment_at TEXT
) STRICT;
INSERT INTO orders_v11 SELECT id, status, seal(pickup_label), seal(pickup_lat), seal(pickup_lon),
        seal(dropoff_label), goods, weight_kg, fee_minor, currency, assigned_to_me, revision,
        updated_at, fetched_at, closed_at, placed_by_me, seal(stops_json), appointment_at
    FROM orders;
DROP TABLE orders;
ALTER TABLE orders_v11 RENAME TO orders;
CREATE INDEX orders_by_status ON orders (status);

CREATE TABLE outbox_v11 (
    seq             INTEGER PRIMARY KEY AUTOINCREMENT,
    order_id        TEXT NOT NULL,
    action          TEXT NOT NULL CHECK (action IN
                        ('accept', 'pick_up', 'deliver', 'report_exception', 'appoint', 'arrive',
                         'place', 'cancel')),
    idempotency_key TEXT NOT NULL UNIQUE,
    created_at      TEXT NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0,
    last_error      TEXT,
    target_status   TEXT,
    note            BLOB,
    next_attempt_at TEXT,
    -- JSON body of actions that carry one (a placed errand: names, phones, addresses).
    payload         BLOB
) STRICT;
INSERT INTO outbox_v11 SELECT seq, order_id, action, idempotency_key, created_at, attempts,
        last_error, target_status, seal(note), next_attempt_at, seal(payload)
    FROM outbox;
DROP TABLE outbox;
ALTER TABLE outbox_v11 RENAME TO outbox;
CREATE INDEX outbox_by_order ON outbox (order_id, seq);

CREATE TABLE order_history_v11 (
    seq        INTEGER PRIMARY KEY AUTOINCREMENT,
    order_id   TEXT NOT NULL,
    event      TEXT NOT NULL,
    source     TEXT NOT NULL CHECK (source IN ('me', 'server')),
    at         TEXT NOT NULL,
    note       BLOB,
    state      TEXT CHECK (state IN ('pending', 'confirmed', 'refused', 'withdrawn')),
    action_key TEXT UNIQUE
) STRICT;
INSERT INTO order_history_v11 SELECT seq, order_id, event, source, at, seal(note), state,
        action_key
    FROM order_history;
DROP TABLE order_history;
ALTER TABLE order_history_v11 RENAME TO order_history;
CREATE INDEX order_history_by_order ON order_history (order_id, seq);

CREATE TABLE order_parties_v11 (
    order_id          TEXT PRIMARY KEY NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
    purpose           TEXT NOT NULL,
    consignor_name    BLOB NOT NULL,
    consignor_phone   BLOB NOT NULL,
    consignee_name    BLOB NOT NULL,
    consignee_phone   BLOB NOT NULL,
    consignee_address BLOB NOT NULL,
    collected_at      TEXT NOT NULL,
    category          TEXT NOT NULL DEFAULT 'consignee_contact'
) STRICT;
INSERT INTO order_parties_v11 SELECT order_id, purpose, seal(consignor_name),
        seal(consignor_phone), seal(consignee_name), seal(consignee_phone),
        seal(consignee_address), collected_at, category
    FROM order_parties;
DROP TABLE order_parties;
ALTER TABLE order_parties_v11 RENAME TO order_parties;

CREATE TABLE track_fixes_v11 (
    seq          INTEGER PRIMARY KEY AUTOINCREMENT,
    order_id     TEXT NOT NULL,
    purpose      TEXT NOT NULL,
    at           TEXT NOT NULL,
    lat          BLOB NOT NULL,
    lon          BLOB NOT NULL,
    accuracy_m   BLOB,
    collected_at TEXT NOT NULL,
    sent_at      TEXT
) STRICT;
INSERT INTO track_fixes_v11 SELECT seq, order_id, purpose, at, seal(lat), seal(lon),
        seal(accuracy_m), collected_at, sent_at
    FROM track_fixes;
DROP TABLE track_fixes;
ALTER TABLE track_fixes_v11 RENAME TO track_fixes;
CREATE INDEX track_fixes_by_order ON track_fixes (order_id, seq);

CREATE TABLE track_events_v11 (
    seq          INTEGER PRIMARY KEY AUTOINCREMENT,
    order_id     TEXT NOT NULL,
    purpose      TEXT NOT NULL,
    kind         TEXT NOT NULL CHECK (kind IN ('gap', 'stop', 'arrival')),
    from_at      TEXT NOT NULL,
    to_at        TEXT NOT NULL,
    reason       TEXT,
    stop_index   INTEGER,
    lat          BLOB,
    lon          BLOB,
    collected_at TEXT NOT NULL,
    sent_at      TEXT
) STRICT;
INSERT INTO track_events_v11 SELECT seq, order_id, purpose, kind, from_at, to_at, reason,
        stop_index, seal(lat), seal(lon), collected_at, sent_at
    FROM track_events;
DROP TABLE track_events;
ALTER TABLE track_events_v11 RENAME TO track_events;
CREATE INDEX track_events_by_order ON track_events (order_id, seq);

CREATE TABLE proof_fixes_v11 (
    sha256       TEXT PRIMARY KEY NOT NULL,
    order_id     TEXT NOT NULL,
    purpose      TEXT NOT NULL,
    lat          BLOB NOT NULL,
    lon          BLOB NOT NULL,
    accuracy_m   BLOB,
    fix_at       TEXT NOT NULL,
    collected_at TEXT NOT NULL
) STRICT;
INSERT INTO proof_fixes_v11 SELECT sha256, order_id, purpose, seal(lat), seal(lon),
        seal(accuracy_m), fix_at, collected_at
    FROM proof_fixes;
DROP TABLE proof_fixes;
ALTER TABLE proof_fixes_v11 RENAME TO proof_fixes;

CREATE TABLE rights_requests_v11 (
    id           TEXT PRIMARY KEY NOT NULL,
    kind         TEXT NOT NULL CHECK (kind IN ('access', 'correction', 'deletion', 'cancellation')),
    detail       BLOB NOT NULL,
    status       TEXT NOT NULL CHECK (status IN ('queued', 'received', 'completed', 'refused')),
    created_at   TEXT NOT NULL,
    due_at       TEXT NOT NULL,
    submitted_at TEXT,
    answer       BLOB
) STRICT;
INSERT INTO rights_requests_v11 SELECT id, kind, seal(detail), status, created_at, due_at,
        submitted_at, seal(answer)
    FROM rights_requests;
DROP TABLE rights_requests;
ALTER TABLE rights_requests_v11 RENAME TO rights_requests;
