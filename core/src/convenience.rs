//! The shipper's convenience data (seed 000: "We will store your last sender and item
//! information"; P-39): the addresses of recent errands and the last sender with the item
//! sent, kept only under the `convenience` consent, read back to fill the next errand's
//! form, cleared by the person at any time and swept 90 days after last use. The waybills
//! looked up or followed are the same purpose's other table (`waybills.rs`).

use std::sync::Arc;

use chrono::{DateTime, Utc};
use rusqlite::{Connection, Transaction, params};
use serde::{Deserialize, Serialize};
use waybill_protocol::{LatLon, NewErrand};

use crate::db::StorageResult;
use crate::error::{Error, Result};
use crate::privacy::gate::Gate;
use crate::privacy::holdings::{Clock, Held, Holding, TableDecl};
use crate::privacy::manifest::RetentionStart;
use crate::privacy::transparency::DataAction;
use crate::purpose::Purpose;
use crate::services::Services;

/// Addresses kept at most.
pub const MAX_ADDRESSES: usize = 5;

/// An address the person used for an errand.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SavedAddress {
    /// The address as typed.
    pub label: String,
    /// Its point, when the errand had one.
    pub point: Option<LatLon>,
}

/// The sender and the item of the person's last errand.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LastSender {
    /// The sender's name.
    pub name: String,
    /// The sender's phone.
    pub phone: String,
    /// What was sent.
    pub goods: String,
    /// Its weight in kilograms.
    pub weight_kg: f64,
}

const ADDRESS: &str = "address";
const SENDER: &str = "last_sender";

/// The convenience engine.
pub(crate) struct Convenience {
    services: Arc<Services>,
    gate: Arc<Gate>,
}

impl Convenience {
    /// The engine over the shared services.
    pub(crate) fn new(services: Arc<Services>, gate: Arc<Gate>) -> Convenience {
        Convenience { services, gate }
    }

    /// Remembers the addresses and sender of an errand just placed, when the person
    /// allowed `convenience` (nothing otherwise). Returns whether anything was kept.
    pub(crate) fn remember_errand(&self, errand: &NewErrand) -> Result<bool> {
        let Ok(basis) = self.gate.check(Purpose::Convenience) else {
            return Ok(false);
        };
        let sender = LastSender {
            name: errand.contact.consignor_name.clone(),
            phone: errand.contact.consignor_phone.clone(),
            goods: errand.goods.clone(),
            weight_kg: errand.weight_kg,
        };
        let addresses = [
            SavedAddress {
                label: errand.dropoff_label.clone(),
                point: errand.dropoff,
            },
            SavedAddress {
                label: errand.pickup_label.clone(),
                point: Some(errand.pickup),
            },
        ];
        self.services.db.write(|tx| {
            for address in &addresses {
                remember_address(tx, address)?;
            }
            replace(tx, SENDER, &sender)?;
            self.gate.record(
                tx,
                DataAction::Collected,
                &basis,
                &["convenience_data", "party_contact"],
                3,
            )?;
            Ok::<_, Error>(())
        })?;
        Ok(true)
    }

    /// The addresses of recent errands, most recently used first.
    pub(crate) fn addresses(&self) -> Result<Vec<SavedAddress>> {
        Ok(self
            .services
            .db
            .read(|c| values::<SavedAddress>(c, ADDRESS))?
            .into_iter()
            .map(|(_, a, _)| a)
            .collect())
    }

    /// The last sender and item, if kept.
    pub(crate) fn last_sender(&self) -> Result<Option<LastSender>> {
        Ok(self
            .services
            .db
            .read(|c| values::<LastSender>(c, SENDER))?
            .into_iter()
            .map(|(_, s, _)| s)
            .next())
    }
}

/// Keeps `address` first in the list (once), the list at most [`MAX_ADDRESSES`] long.
fn remember_address(tx: &Transaction<'_>, address: &SavedAddress) -> StorageResult<()> {
    for (id, kept, _) in values::<SavedAddress>(tx, ADDRESS)? {
        if kept.label == address.label {
            tx.execute("DELETE FROM convenience WHERE id = ?1", [id])?;
        }
    }
    insert(tx, ADDRESS, address)?;
    tx.execute(
        "DELETE FROM convenience WHERE kind = ?1 AND id NOT IN (
             SELECT id FROM convenience WHERE kind = ?1 ORDER BY used_at DESC, id DESC
             LIMIT ?2)",
        params![ADDRESS, MAX_ADDRESSES as i64],
    )?;
    Ok(())
}

/// Replaces every value of `kind` with `value`.
fn replace<T: Serialize>(tx: &Transaction<'_>, kind: &str, value: &T) -> StorageResult<()> {
    tx.execute("DELETE FROM convenience WHERE kind = ?1", [kind])?;
    insert(tx, kind, value)
}

fn insert<T: Serialize>(tx: &Transaction<'_>, kind: &str, value: &T) -> StorageResult<()> {
    tx.execute(
        "INSERT INTO convenience (purpose, kind, value, used_at) VALUES (?1, ?2, x'', ?3)",
        params![Purpose::Convenience.id(), kind, Utc::now().to_rfc3339()],
    )?;
    let id = tx.last_insert_rowid();
    tx.execute(
        "UPDATE convenience SET value = seal(?2, 'convenience.value', ?1) WHERE id = ?1",
        params![id, serde_json::to_string(value).expect("values serialize")],
    )?;
    Ok(())
}

/// The values of `kind`, most recently used first: id, value, when used.
fn values<T: for<'de> Deserialize<'de>>(
    conn: &Connection,
    kind: &str,
) -> StorageResult<Vec<(i64, T, DateTime<Utc>)>> {
    let rows = conn
        .prepare_cached(
            "SELECT id, unseal(value, 'convenience.value', id), used_at FROM convenience
             WHERE kind = ?1 ORDER BY used_at DESC, id DESC",
        )?
        .query_map([kind], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
            ))
        })?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(rows
        .into_iter()
        .filter_map(|(id, json, at)| {
            let at = DateTime::parse_from_rfc3339(&at).ok()?.with_timezone(&Utc);
            Some((id, serde_json::from_str(&json).ok()?, at))
        })
        .collect())
}

/// Kept addresses and sender, for the privacy engine: purged with `convenience`, swept
/// 90 days after last use.
pub const HOLDINGS: &[Holding] = &[Holding {
    table: "convenience",
    categories: "CASE kind WHEN 'last_sender' THEN 'party_contact' ELSE 'convenience_data' END",
    purpose: "purpose",
    written_for: &[Purpose::Convenience],
    clock: |start| match start {
        RetentionStart::Collected => Some(Clock::Column("used_at")),
        _ => None,
    },
    needed_for_open_order: None,
    order_bound: false,
}];

/// The engine's table, column by column (read by the schema registry test).
#[cfg_attr(not(test), allow(dead_code))]
pub const TABLES: &[TableDecl] = &[TableDecl {
    table: "convenience",
    held: Held::ForPurpose,
    personal: &["value", "used_at"],
    plain: &["id", "purpose", "kind"],
    why_plain: "the row's key, its purpose and which form field it fills",
}];
