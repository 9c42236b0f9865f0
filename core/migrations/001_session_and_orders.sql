-- v1: the installation's identity, its server session, and the order cache.
CREATE TABLE meta (
    key   TEXT PRIMARY KEY NOT NULL,
    value TEXT NOT NULL
) STRICT;

-- At most one session: the token the server issued to this installation.
CREATE TABLE session (
    id         INTEGER PRIMARY KEY CHECK (id = 1),
    account_id TEXT NOT NULL,
    token      TEXT NOT NULL,
    server_url TEXT NOT NULL,
    created_at TEXT NOT NULL
) STRICT;

-- Orders as last seen from the server. Offers carry no personal contact data.
CREATE TABLE orders (
    id            TEXT PRIMARY KEY NOT NULL,
    status        TEXT NOT NULL CHECK (status IN ('open', 'accepted', 'cancelled')),
    pickup_label  TEXT NOT NULL,
    pickup_lat    REAL NOT NULL,
    pickup_lon    REAL NOT NULL,
    dropoff_label TEXT NOT NULL,
    goods         TEXT NOT NULL,
    weight_kg     REAL NOT NULL,
    fee_minor     INTEGER NOT NULL,
    currency      TEXT NOT NULL,
    -- Whether this installation's account holds the order. Which other driver holds it is
    -- someone else's data and is not kept.
    assigned_to_me INTEGER NOT NULL DEFAULT 0 CHECK (assigned_to_me IN (0, 1)),
    revision      INTEGER NOT NULL,
    updated_at    TEXT NOT NULL,
    fetched_at    TEXT NOT NULL
) STRICT;

CREATE INDEX orders_by_status ON orders (status);
