//! The `meta` key/value table behind one API: each key is declared here once, with the
//! engine it belongs to, so no module writes raw SQL against `meta`.

use rusqlite::{Connection, OptionalExtension, Transaction, params};

use super::StorageResult;

/// A key of the `meta` table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MetaKey {
    /// The account engine: this installation's random id.
    InstallationId,
    /// The privacy engine: whether the user declared an age under the minimum ("1"/"0").
    DeclaredMinor,
    /// The order engine: where the change feed was read up to.
    ChangesCursor,
    /// The proof engine: the proof rules in force (JSON).
    ProofRules,
    /// The account engine: the seed of this installation's device key (sealed).
    DeviceKey,
    /// The account engine: the time of the last proof the device key signed (ms).
    LastProofAt,
    /// The account engine: the signed-in person's number, E.164 (sealed; shown masked).
    AccountPhone,
    /// The account engine: `suspended` or `closed` when the server said so.
    AccountStanding,
    /// The privacy engine: the manifest version the last full sweep ran under (a new one
    /// sweeps purposes it no longer declares).
    SweptUnder,
    /// The account engine: an age declared after sign-up, waiting to reach the server
    /// (JSON `AgeUpdate`).
    PendingAge,
    /// The account engine: the last real-name outcome the server gave (JSON: outcome,
    /// time, reason; never an image).
    RealName,
    /// The push engine: "1" while the server holds a push token of this device (a purge
    /// of the token then unregisters it at the next sync).
    PushRegistered,
    /// The privacy engine: when the service stops (RFC 3339), from a verified notice
    /// announced at least 30 days before (P-70); the earliest such time.
    ServiceStopsAt,
    /// The notices engine: where `GET /v1/notices` was read up to.
    NoticesCursor,
    /// The privacy engine: the newest SDK switch that verified (JSON `SdkSwitch`, P-51).
    SdkSwitch,
    /// The waybills engine: "1" while the server may hold waybills this account follows
    /// (a forgotten, cleared or purged number is then dropped there at the next sync).
    WaybillFollows,
    /// The notices engine: when the controller's notices and documents were last read in
    /// full (RFC 3339); a background sync reads them again only after an interval.
    ControllerReadAt,
    /// The notices engine: the highest `through` of a verified notices head (an older head
    /// replayed does not lower it).
    NoticesThrough,
}

impl MetaKey {
    fn as_str(self) -> &'static str {
        match self {
            MetaKey::InstallationId => "installation_id",
            MetaKey::DeclaredMinor => "declared_minor",
            MetaKey::ChangesCursor => "changes_cursor",
            MetaKey::ProofRules => "proof_rules",
            MetaKey::DeviceKey => "device_key",
            MetaKey::LastProofAt => "last_proof_at",
            MetaKey::AccountPhone => "account_phone",
            MetaKey::AccountStanding => "account_standing",
            MetaKey::RealName => "real_name",
            MetaKey::PendingAge => "pending_age",
            MetaKey::SweptUnder => "swept_under",
            MetaKey::PushRegistered => "push_registered",
            MetaKey::ServiceStopsAt => "service_stops_at",
            MetaKey::NoticesCursor => "notices_cursor",
            MetaKey::SdkSwitch => "sdk_switch",
            MetaKey::WaybillFollows => "waybill_follows",
            MetaKey::ControllerReadAt => "controller_read_at",
            MetaKey::NoticesThrough => "notices_through",
        }
    }
}

/// The value stored under `key`, if any.
pub fn get(conn: &Connection, key: MetaKey) -> StorageResult<Option<String>> {
    Ok(conn
        .query_row(
            "SELECT value FROM meta WHERE key = ?1",
            [key.as_str()],
            |r| r.get(0),
        )
        .optional()?)
}

/// Stores `value` under `key`, replacing what was there.
pub fn set(tx: &Transaction<'_>, key: MetaKey, value: &str) -> StorageResult<()> {
    tx.execute(
        "INSERT INTO meta (key, value) VALUES (?1, ?2)
         ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        params![key.as_str(), value],
    )?;
    Ok(())
}

/// The value under `key` sealed at rest (bound to `meta.value` and the key), if any.
pub fn get_sealed(conn: &Connection, key: MetaKey) -> StorageResult<Option<String>> {
    Ok(conn
        .query_row(
            "SELECT unseal(unhex(value), 'meta.value', key) FROM meta WHERE key = ?1",
            [key.as_str()],
            |r| r.get(0),
        )
        .optional()?)
}

/// Stores `value` under `key` sealed at rest, replacing what was there.
pub fn set_sealed(tx: &Transaction<'_>, key: MetaKey, value: &str) -> StorageResult<()> {
    tx.execute(
        "INSERT INTO meta (key, value) VALUES (?1, hex(seal(?2, 'meta.value', ?1)))
         ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        params![key.as_str(), value],
    )?;
    Ok(())
}

/// Removes `key`.
pub fn delete(tx: &Transaction<'_>, key: MetaKey) -> StorageResult<()> {
    tx.execute("DELETE FROM meta WHERE key = ?1", [key.as_str()])?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_value_is_replaced_not_added() {
        let dir = tempfile::tempdir().unwrap();
        let db = super::super::Database::open(dir.path(), &super::super::test_key()).unwrap();
        db.write(|tx| set(tx, MetaKey::ChangesCursor, "1")).unwrap();
        db.write(|tx| set(tx, MetaKey::ChangesCursor, "2")).unwrap();
        assert_eq!(
            db.read(|c| get(c, MetaKey::ChangesCursor))
                .unwrap()
                .as_deref(),
            Some("2")
        );
        assert_eq!(db.read(|c| get(c, MetaKey::DeclaredMinor)).unwrap(), None);
    }
}
