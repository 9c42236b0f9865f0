-- Service notices (P-69, P-70) as the controller signed them, kept once verified with the
-- control key the app was built with. Announcements to every user: nothing personal.
CREATE TABLE notices (
    id           TEXT PRIMARY KEY NOT NULL,
    payload      TEXT NOT NULL,
    signature    TEXT NOT NULL,
    published_at TEXT NOT NULL
) STRICT;
