-- Telling recipients to forget (P-63): the SDKs the shell handed personal data to, and
-- those owed a "forget" since a deletion or the account's closing. SDK ids only.
CREATE TABLE sdk_recipients (
    sdk_id TEXT PRIMARY KEY NOT NULL
) STRICT;
CREATE TABLE sdk_forget (
    sdk_id  TEXT PRIMARY KEY NOT NULL,
    owed_at TEXT NOT NULL
) STRICT;
