-- v8: trajectory upload batches. A batch's fix range is fixed when it is first attempted,
-- so a retry (after a lost reply or a kill) re-sends exactly the same batch under the
-- same key, simplified the same way; new fixes go to the next batch.
CREATE TABLE track_batches (
    key        TEXT PRIMARY KEY NOT NULL,
    order_id   TEXT NOT NULL,
    first_seq  INTEGER NOT NULL,
    last_seq   INTEGER NOT NULL,
    created_at TEXT NOT NULL,
    sent_at    TEXT
) STRICT;
CREATE INDEX track_batches_pending ON track_batches (order_id) WHERE sent_at IS NULL;
