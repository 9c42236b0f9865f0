-- v22: a marketing message keeps the time its operator published it, which the list shows;
-- received_at stays the retention clock. Messages kept before this version show their
-- receipt time (NULL here).
ALTER TABLE marketing_messages ADD COLUMN published_at TEXT;
