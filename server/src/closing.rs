//! Closing an account: what the reply says is deleted is deleted, in the transaction that
//! records the request. What is kept is kept apart and named: the consent receipts and
//! the filed requests, the record the operator owes a regulator (seed 003 keeps such an
//! archive and uses it for nothing else).

use chrono::Utc;
use rusqlite::{Connection, Transaction, params};

use crate::store::StoreResult;

/// The answer a cancellation gets: exactly what [`close`] does.
pub const CLOSED: &str = "account closed. Deleted: trajectories and proofs of the orders it \
    carried, its unfinished uploads, its notes and account id in order histories, the \
    contacts and addresses of its errands, its idempotency ledger, its number, every \
    device's sign-in key and token. Released: every order it held. Cancelled: its errands not yet delivered. Kept \
    apart, for the record owed to regulators only: its consent receipts and its requests.";

/// What stands in for the account in order histories once it is closed.
pub const CLOSED_ACTOR: &str = "closed-account";

/// Closes `account` in `tx`; returns the upload ids whose files go once it commits.
pub fn close(tx: &Transaction<'_>, account: &str) -> StoreResult<Vec<String>> {
    let now = Utc::now().to_rfc3339();
    // Orders it carried (held now or delivered): their trajectories and proofs go.
    let carried =
        "SELECT DISTINCT order_id FROM order_events WHERE actor = ?1 AND kind = 'accepted'";
    tx.execute(
        &format!("DELETE FROM trajectory_points WHERE order_id IN ({carried})"),
        [account],
    )?;
    tx.execute(
        &format!("DELETE FROM trajectory_events WHERE order_id IN ({carried})"),
        [account],
    )?;
    // UNION: each file once.
    let files = ids(
        tx,
        "SELECT id FROM uploads WHERE account_id = ?1
         UNION SELECT upload_id FROM proofs WHERE account_id = ?1",
        account,
    )?;
    tx.execute("DELETE FROM proofs WHERE account_id = ?1", [account])?;
    tx.execute("DELETE FROM uploads WHERE account_id = ?1", [account])?;

    // Every order it held goes back to the offers, and its drivers' feeds hear of it.
    let held = ids(
        tx,
        "SELECT id FROM orders WHERE assigned_to = ?1 AND status IN ('accepted', 'picked_up')",
        account,
    )?;
    for id in &held {
        tx.execute(
            "UPDATE orders SET status = 'open', assigned_to = NULL WHERE id = ?1",
            [id],
        )?;
        crate::actions::bump(tx, id, account)?;
        tx.execute(
            "INSERT INTO order_events (order_id, kind, actor, at) VALUES (?1, 'released', ?2, ?3)",
            params![id, CLOSED_ACTOR, now],
        )?;
    }

    // Its errands: not yet delivered ones are cancelled (nobody can deliver without the
    // parties), and every one loses its contacts and addresses.
    let placed = ids(tx, "SELECT id FROM orders WHERE shipper_id = ?1", account)?;
    for id in &placed {
        tx.execute(
            "UPDATE orders SET status = CASE WHEN status = 'delivered' THEN status ELSE 'cancelled' END,
                 pickup_label = ?2, dropoff_label = ?2, stops = '[]'
             WHERE id = ?1",
            params![id, "(closed account)"],
        )?;
        crate::actions::bump(tx, id, account)?;
        tx.execute("DELETE FROM order_contacts WHERE order_id = ?1", [id])?;
    }

    // Its words and its id in histories; its ledger (replies hold contacts); its sign-in.
    tx.execute(
        "UPDATE order_events SET actor = ?2, note = NULL, client_at = NULL WHERE actor = ?1",
        params![account, CLOSED_ACTOR],
    )?;
    tx.execute("DELETE FROM idempotency WHERE account_id = ?1", [account])?;
    tx.execute("DELETE FROM real_name WHERE account_id = ?1", [account])?;
    crate::devices::close_sessions(tx, account, &now)?;
    // Its push tokens go with its devices (by cascade, and here for certain), and nothing
    // queued for it is sent.
    tx.execute("DELETE FROM push_tokens WHERE account_id = ?1", [account])?;
    tx.execute("DELETE FROM push_queue WHERE account_id = ?1", [account])?;
    crate::waybills::forget_account(tx, account)?;
    // The number goes with the account: it can open a new one, and only as a new one.
    tx.execute(
        "DELETE FROM sign_in_codes WHERE phone = (SELECT phone FROM accounts WHERE id = ?1)",
        [account],
    )?;
    tx.execute(
        "UPDATE accounts SET phone = NULL, closed_at = ?2 WHERE id = ?1",
        params![account, now],
    )?;
    archive(tx, account)?;
    Ok(files)
}

/// The ids `sql` selects for `account`.
fn ids(tx: &Transaction<'_>, sql: &str, account: &str) -> StoreResult<Vec<String>> {
    let mut stmt = tx.prepare(sql)?;
    let rows = stmt.query_map([account], |r| r.get(0))?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// Empties the WAL after a closing or a deletion committed: `secure_delete` zeroes the
/// deleted rows in their pages, and the checkpoint writes those pages back, so no copy of
/// them lingers in the log.
pub fn checkpoint(conn: &Connection) {
    let _ = conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()));
}

/// Moves what is kept (receipts, requests, the account row, errands' history) under a
/// random archive id, so nothing on the server carries the account id any more.
fn archive(tx: &Transaction<'_>, account: &str) -> StoreResult<()> {
    let archive = format!("archived_{}", uuid::Uuid::new_v4().simple());
    // The references move with the row; foreign keys are checked at commit.
    tx.execute_batch("PRAGMA defer_foreign_keys = ON")?;
    for (table, column) in [
        ("orders", "shipper_id"),
        ("orders", "assigned_to"),
        ("consent_receipts", "account_id"),
        ("rights_requests", "account_id"),
        ("service_events", "account_id"),
    ] {
        tx.execute(
            &format!("UPDATE {table} SET {column} = ?2 WHERE {column} = ?1"),
            params![account, archive],
        )?;
    }
    tx.execute(
        "UPDATE accounts SET id = ?2 WHERE id = ?1",
        params![account, archive],
    )?;
    Ok(())
}
