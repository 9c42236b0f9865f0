//! Telling recipients to forget (P-63; seed 002: "尽可能通知从我们处获得您的个人信息的主体,
//! 要求其及时删除"): the SDKs live in the shells, so the core keeps the list. Each SDK the
//! shell handed personal data to (`disclose_to_sdk`) is remembered; a deletion request or
//! the account's closing makes each of them owed a "forget", kept until the shell says it
//! called that SDK's own deletion (reset its id, unregister its token). The list survives
//! a restart and the closing's wipe, so a crash between the two loses no "forget".

use chrono::{DateTime, Utc};
use rusqlite::{Connection, Transaction, params};

use crate::db::StorageResult;
use crate::privacy::holdings::{Held, TableDecl};

/// Remembers that `sdk_id` received personal data.
pub(crate) fn note_recipient(tx: &Transaction<'_>, sdk_id: &str) -> StorageResult<()> {
    tx.prepare_cached("INSERT OR IGNORE INTO sdk_recipients (sdk_id) VALUES (?1)")?
        .execute([sdk_id])?;
    Ok(())
}

/// Every SDK that received data is owed a "forget" from `now`.
pub(crate) fn owe_all(tx: &Transaction<'_>, now: DateTime<Utc>) -> StorageResult<()> {
    tx.execute(
        "INSERT OR IGNORE INTO sdk_forget (sdk_id, owed_at) SELECT sdk_id, ?1 FROM sdk_recipients",
        [now.to_rfc3339()],
    )?;
    tx.execute("DELETE FROM sdk_recipients", [])?;
    Ok(())
}

/// The SDKs owed a "forget", oldest first.
pub fn owed(conn: &Connection) -> StorageResult<Vec<(String, String)>> {
    let mut stmt =
        conn.prepare_cached("SELECT sdk_id, owed_at FROM sdk_forget ORDER BY owed_at, sdk_id")?;
    let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// Puts owed "forgets" back (after the closing's wipe).
pub(crate) fn restore(tx: &Transaction<'_>, owed: &[(String, String)]) -> StorageResult<()> {
    let mut stmt =
        tx.prepare_cached("INSERT OR IGNORE INTO sdk_forget (sdk_id, owed_at) VALUES (?1, ?2)")?;
    for (sdk, at) in owed {
        stmt.execute(params![sdk, at])?;
    }
    Ok(())
}

/// The shell called `sdk_id`'s deletion: no longer owed. Returns whether it was.
pub(crate) fn done(tx: &Transaction<'_>, sdk_id: &str) -> StorageResult<bool> {
    Ok(tx.execute("DELETE FROM sdk_forget WHERE sdk_id = ?1", [sdk_id])? == 1)
}

/// The tables (read by the schema registry test).
#[cfg_attr(not(test), allow(dead_code))]
pub const TABLES: &[TableDecl] = &[
    TableDecl {
        table: "sdk_recipients",
        held: Held::NotPersonal("ids of the SDKs that received data, from the manifest"),
        personal: &[],
        plain: &["sdk_id"],
        why_plain: "an SDK id the manifest declares",
    },
    TableDecl {
        table: "sdk_forget",
        held: Held::NotPersonal("ids of the SDKs owed a deletion, and since when"),
        personal: &[],
        plain: &["sdk_id", "owed_at"],
        why_plain: "an SDK id and the time of the deletion or closing",
    },
];
