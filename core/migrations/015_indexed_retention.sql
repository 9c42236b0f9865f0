-- Retention runs on indexes (the sweep at every start must cost what it deletes, not
-- what is held): order records carry the purpose they serve (derived, never stored
-- twice), closed orders are found by their close time, and every order-bound table is
-- reached through its order. The transparency log is pruned by time.
ALTER TABLE orders ADD COLUMN purpose TEXT
    GENERATED ALWAYS AS (CASE placed_by_me WHEN 1 THEN 'errand_placement' ELSE 'order_fulfilment' END)
    VIRTUAL;
CREATE INDEX orders_by_closed ON orders (closed_at);
CREATE INDEX rejections_by_order ON rejections (order_id);
CREATE INDEX proof_fixes_by_order ON proof_fixes (order_id);
CREATE INDEX transparency_by_time ON transparency_log (at);
