//! The consignor's and consignee's contact of an order the driver holds: third parties'
//! personal data, stored only under a ticket for the order-fulfilment purpose, shown in
//! full only while the order is assigned and open (P-29), masked afterwards, and deleted
//! by the retention sweep or as soon as the order is no longer this driver's.

use chrono::{DateTime, Utc};
use rusqlite::{Connection, OptionalExtension, Transaction, params};

use crate::db::StorageResult;
use crate::mask;
use crate::ticket::Ticket;

/// Party contact as the UI shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderContact {
    /// Consignor's name.
    pub consignor_name: String,
    /// Consignor's phone.
    pub consignor_phone: String,
    /// Consignee's name.
    pub consignee_name: String,
    /// Consignee's phone.
    pub consignee_phone: String,
    /// Delivery address.
    pub consignee_address: String,
    /// Whether the values are masked (`138****1234`): always once the order is closed or
    /// no longer this driver's, and whenever the UI asks for masked values.
    pub masked: bool,
}

/// Whether the contact of `order_id` is held.
pub fn held(conn: &Connection, order_id: &str) -> StorageResult<bool> {
    Ok(conn.query_row(
        "SELECT EXISTS (SELECT 1 FROM order_parties WHERE order_id = ?1)",
        [order_id],
        |r| r.get(0),
    )?)
}

/// Stores (or replaces) the contact of `order_id`, collected for the ticket's purpose.
pub fn store(
    tx: &Transaction<'_>,
    basis: &Ticket,
    order_id: &str,
    category: &str,
    contact: &waybill_protocol::OrderContact,
    now: DateTime<Utc>,
) -> StorageResult<()> {
    tx.execute(
        "INSERT INTO order_parties (order_id, purpose, consignor_name, consignor_phone,
             consignee_name, consignee_phone, consignee_address, collected_at, category)
         VALUES (?1, ?2, seal(?3, 'order_parties.consignor_name', ?1),
             seal(?4, 'order_parties.consignor_phone', ?1), seal(?5, 'order_parties.consignee_name', ?1),
             seal(?6, 'order_parties.consignee_phone', ?1),
             seal(?7, 'order_parties.consignee_address', ?1), ?8, ?9)
         ON CONFLICT (order_id) DO UPDATE SET
             consignor_name = excluded.consignor_name, consignor_phone = excluded.consignor_phone,
             consignee_name = excluded.consignee_name, consignee_phone = excluded.consignee_phone,
             consignee_address = excluded.consignee_address",
        params![
            order_id,
            basis.purpose(),
            contact.consignor_name,
            contact.consignor_phone,
            contact.consignee_name,
            contact.consignee_phone,
            contact.consignee_address,
            now.to_rfc3339(),
            category
        ],
    )?;
    Ok(())
}

/// The contact of `order_id` for display: in full only if `reveal` is asked and the order
/// is still open and this driver's (or this shipper's own errand); masked otherwise.
/// `None` if none is held.
pub fn for_display(
    conn: &Connection,
    order_id: &str,
    reveal: bool,
) -> StorageResult<Option<OrderContact>> {
    let row = conn
        .query_row(
            "SELECT unseal(p.consignor_name, 'order_parties.consignor_name', p.order_id),
                    unseal(p.consignor_phone, 'order_parties.consignor_phone', p.order_id),
                    unseal(p.consignee_name, 'order_parties.consignee_name', p.order_id),
                    unseal(p.consignee_phone, 'order_parties.consignee_phone', p.order_id),
                    unseal(p.consignee_address, 'order_parties.consignee_address', p.order_id),
                    o.closed_at IS NULL
                    AND ((o.assigned_to_me = 1 AND o.status IN ('accepted', 'picked_up'))
                         OR (o.placed_by_me = 1 AND o.status NOT IN ('delivered', 'cancelled')))
             FROM order_parties p JOIN orders o ON o.id = p.order_id
             WHERE p.order_id = ?1",
            [order_id],
            |r| {
                Ok((
                    [
                        r.get::<_, String>(0)?,
                        r.get(1)?,
                        r.get(2)?,
                        r.get(3)?,
                        r.get(4)?,
                    ],
                    r.get::<_, bool>(5)?,
                ))
            },
        )
        .optional()?;
    Ok(
        row.map(|([cr_name, cr_phone, ce_name, ce_phone, address], open)| {
            if reveal && open {
                OrderContact {
                    consignor_name: cr_name,
                    consignor_phone: cr_phone,
                    consignee_name: ce_name,
                    consignee_phone: ce_phone,
                    consignee_address: address,
                    masked: false,
                }
            } else {
                OrderContact {
                    consignor_name: mask::name(&cr_name),
                    consignor_phone: mask::phone(&cr_phone),
                    consignee_name: mask::name(&ce_name),
                    consignee_phone: mask::phone(&ce_phone),
                    consignee_address: mask::address(&address),
                    masked: true,
                }
            }
        }),
    )
}

/// Deletes the contact of an order that is no longer this driver's: the purpose it was
/// collected for (delivering that order) is gone. Returns how many rows went.
pub fn forget(tx: &Transaction<'_>, order_id: &str) -> StorageResult<usize> {
    Ok(tx.execute("DELETE FROM order_parties WHERE order_id = ?1", [order_id])?)
}
