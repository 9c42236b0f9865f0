-- Service-log events (P-37) waiting for the server: kind, order and time only, recorded
-- under the `service_logs` consent and deleted as soon as the server holds them.
CREATE TABLE service_events (
    event_id TEXT PRIMARY KEY NOT NULL,
    purpose  TEXT NOT NULL,
    kind     TEXT NOT NULL,
    order_id TEXT,
    at       TEXT NOT NULL
) STRICT;
-- The sweep's clock and the upload's order.
CREATE INDEX service_events_by_time ON service_events (at);
