-- v3: the privacy engine's state: manifests installed, the consent ledger, OS permissions.

-- Every policy manifest this device has had in force. Versions are immutable: the
-- document a user accepted stays available to diff against and to show again.
CREATE TABLE manifests (
    version      TEXT PRIMARY KEY NOT NULL,
    document     TEXT NOT NULL,
    installed_at TEXT NOT NULL,
    active       INTEGER NOT NULL DEFAULT 0 CHECK (active IN (0, 1))
) STRICT;
CREATE UNIQUE INDEX manifests_one_active ON manifests (active) WHERE active = 1;

-- Append-only consent ledger. Each row chains to the previous one by hash, so a changed
-- or removed row breaks every later hash. UPDATE and DELETE are refused by triggers;
-- only an account wipe (which drops the whole database) removes rows.
CREATE TABLE consent_ledger (
    seq            INTEGER PRIMARY KEY AUTOINCREMENT,
    kind           TEXT NOT NULL CHECK (kind IN
                       ('policy_accepted', 'granted', 'refused', 'withdrawn', 'guardian_consent')),
    policy_version TEXT NOT NULL,
    purpose        TEXT,
    asked_via      TEXT NOT NULL,
    at             TEXT NOT NULL,
    prev_hash      TEXT NOT NULL,
    hash           TEXT NOT NULL UNIQUE
) STRICT;

CREATE TRIGGER consent_ledger_no_update BEFORE UPDATE ON consent_ledger
BEGIN SELECT RAISE(ABORT, 'the consent ledger is append-only'); END;
CREATE TRIGGER consent_ledger_no_delete BEFORE DELETE ON consent_ledger
BEGIN SELECT RAISE(ABORT, 'the consent ledger is append-only'); END;

-- Receipts the server has confirmed (kept apart: the ledger itself never changes).
CREATE TABLE consent_receipts_sent (
    seq INTEGER PRIMARY KEY NOT NULL REFERENCES consent_ledger (seq)
) STRICT;

-- OS permission state as the shell last reported it, and the last refusal (48-hour rule).
CREATE TABLE permissions (
    permission      TEXT PRIMARY KEY NOT NULL,
    state           TEXT NOT NULL CHECK (state IN ('granted', 'limited', 'denied', 'not_determined')),
    updated_at      TEXT NOT NULL,
    last_refused_at TEXT
) STRICT;
