-- v5: the order lifecycle of both roles (driver: pick up, deliver, exceptions; shipper:
-- place and cancel errands), per-entry retry state of the outbox, the change-feed cursor. SQLite cannot alter a CHECK constraint, so
-- `orders` and `outbox` are rebuilt (foreign keys are off while migrations run and are
-- checked after this step).

CREATE TABLE orders_v5 (
    id            TEXT PRIMARY KEY NOT NULL,
    status        TEXT NOT NULL CHECK (status IN
                      ('open', 'accepted', 'picked_up', 'delivered', 'cancelled')),
    pickup_label  TEXT NOT NULL,
    pickup_lat    REAL NOT NULL,
    pickup_lon    REAL NOT NULL,
    dropoff_label TEXT NOT NULL,
    goods         TEXT NOT NULL,
    weight_kg     REAL NOT NULL,
    fee_minor     INTEGER NOT NULL,
    currency      TEXT NOT NULL,
    assigned_to_me INTEGER NOT NULL DEFAULT 0 CHECK (assigned_to_me IN (0, 1)),
    revision      INTEGER NOT NULL,
    updated_at    TEXT NOT NULL,
    fetched_at    TEXT NOT NULL,
    closed_at     TEXT,
    -- A shipper's own errand (the shipper app's "mine").
    placed_by_me  INTEGER NOT NULL DEFAULT 0 CHECK (placed_by_me IN (0, 1))
) STRICT;
INSERT INTO orders_v5 (id, status, pickup_label, pickup_lat, pickup_lon, dropoff_label, goods,
        weight_kg, fee_minor, currency, assigned_to_me, revision, updated_at, fetched_at,
        closed_at)
    SELECT id, status, pickup_label, pickup_lat, pickup_lon, dropoff_label, goods, weight_kg,
        fee_minor, currency, assigned_to_me, revision, updated_at, fetched_at, closed_at
    FROM orders;
DROP TABLE orders;
ALTER TABLE orders_v5 RENAME TO orders;
CREATE INDEX orders_by_status ON orders (status);

-- `target_status`: the status the action leads to (NULL for exception reports), so the
-- effective status is the latest pending target. `next_attempt_at`: backoff after a
-- failure; `parked`: the entry failed in a way a retry cannot fix and waits for the user.
CREATE TABLE outbox_v5 (
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
    note            TEXT,
    next_attempt_at TEXT,
    -- JSON body of actions that carry one (a placed errand).
    payload         TEXT
) STRICT;
INSERT INTO outbox_v5 (seq, order_id, action, idempotency_key, created_at, attempts, last_error,
        target_status)
    SELECT seq, order_id, action, idempotency_key, created_at, attempts, last_error, 'accepted'
    FROM outbox;
DROP TABLE outbox;
ALTER TABLE outbox_v5 RENAME TO outbox;
CREATE INDEX outbox_by_order ON outbox (order_id, seq);

-- Which category a party row holds: the driver app keeps a consignee's contact, the
-- shipper app the sender's and recipient's it entered.
ALTER TABLE order_parties ADD COLUMN category TEXT NOT NULL DEFAULT 'consignee_contact';
