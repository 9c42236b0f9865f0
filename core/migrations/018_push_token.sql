-- The token this device's push service issued (P-23), kept sealed and only under the
-- `push_notifications` consent with the notifications permission granted. `sent_under`
-- names the session it was last registered under: a new session registers it again.
CREATE TABLE push_token (
    id         INTEGER PRIMARY KEY CHECK (id = 1),
    purpose    TEXT NOT NULL,
    token      BLOB NOT NULL,
    platform   TEXT NOT NULL,
    sent_under TEXT,
    updated_at TEXT NOT NULL
) STRICT;
