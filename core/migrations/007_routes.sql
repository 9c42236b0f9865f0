-- v7: an order's route (stops with time windows, as the server sends it, JSON) and the
-- delivery appointment the driver agreed.
ALTER TABLE orders ADD COLUMN stops_json TEXT NOT NULL DEFAULT '[]';
ALTER TABLE orders ADD COLUMN appointment_at TEXT;
