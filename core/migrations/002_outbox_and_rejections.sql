-- v2: local actions waiting for the server (transactional outbox) and the server's
-- permanent refusals, kept until the UI has shown them.

-- One row per local action not yet confirmed by the server. `seq` is the push order.
-- `idempotency_key` travels with every attempt so the server applies the action once.
CREATE TABLE outbox (
    seq             INTEGER PRIMARY KEY AUTOINCREMENT,
    order_id        TEXT NOT NULL,
    action          TEXT NOT NULL CHECK (action IN ('accept')),
    idempotency_key TEXT NOT NULL UNIQUE,
    created_at      TEXT NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0,
    last_error      TEXT
) STRICT;

CREATE INDEX outbox_by_order ON outbox (order_id, seq);

-- An action the server refused for good; its optimistic local effect was rolled back.
CREATE TABLE rejections (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    order_id    TEXT NOT NULL,
    action      TEXT NOT NULL,
    reason      TEXT NOT NULL,
    rejected_at TEXT NOT NULL
) STRICT;
