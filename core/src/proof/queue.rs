//! The durable upload queue of proofs: which proof goes next (the delivery's before an
//! earlier damage note), and where its upload stands — its URL and the offset the server
//! confirmed, committed after every chunk, so a resume after a kill costs one HEAD and
//! re-sends at most the chunk that was in flight.

use chrono::{DateTime, Utc};
use rusqlite::{Connection, OptionalExtension, Transaction, params};

use crate::error::Result;

/// Chunk size on a metered (cellular) network.
pub const CHUNK_METERED: usize = 1024 * 1024;
/// Chunk size on an unmetered network.
pub const CHUNK_UNMETERED: usize = 4 * 1024 * 1024;

/// A proof waiting for upload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Waiting {
    /// Identity and dedup key.
    pub sha256: String,
    /// Order.
    pub order_id: String,
    /// Kind's stable name.
    pub kind: String,
    /// File in the proofs folder.
    pub file_name: String,
    /// Size.
    pub bytes: u64,
    /// The upload's URL, once created.
    pub url: Option<String>,
    /// Bytes the server confirmed.
    pub offset: u64,
    /// What it was taken for: a camera proof, or a photo picked from the album.
    pub purpose: crate::purpose::Purpose,
}

/// The next proof to upload, if any.
pub fn next(conn: &Connection) -> Result<Option<Waiting>> {
    Ok(conn
        .query_row(
            "SELECT sha256, order_id, kind, file_name, bytes, upload_url, upload_offset, purpose
             FROM proofs WHERE uploaded_at IS NULL
             ORDER BY CASE kind WHEN 'delivery' THEN 0 WHEN 'signature' THEN 1
                                WHEN 'pickup' THEN 2 ELSE 3 END, collected_at
             LIMIT 1",
            [],
            |r| {
                Ok(Waiting {
                    sha256: r.get(0)?,
                    order_id: r.get(1)?,
                    kind: r.get(2)?,
                    file_name: r.get(3)?,
                    bytes: r.get::<_, i64>(4)? as u64,
                    url: r.get(5)?,
                    offset: r.get::<_, i64>(6)? as u64,
                    purpose: if r.get::<_, String>(7)? == crate::purpose::Purpose::AlbumUpload.id()
                    {
                        crate::purpose::Purpose::AlbumUpload
                    } else {
                        crate::purpose::Purpose::ProofPhotos
                    },
                })
            },
        )
        .optional()?)
}

/// Records the upload's URL (or forgets it: `None`, the server lost it) and its offset.
pub fn set_progress(
    tx: &Transaction<'_>,
    sha256: &str,
    url: Option<&str>,
    offset: u64,
) -> Result<()> {
    tx.execute(
        "UPDATE proofs SET upload_url = ?2, upload_offset = ?3 WHERE sha256 = ?1",
        params![sha256, url, offset as i64],
    )?;
    Ok(())
}

/// Uploads to end on the server (their proofs were deleted before completing).
pub fn terminations(conn: &Connection) -> Result<Vec<String>> {
    let mut stmt = conn.prepare("SELECT url FROM proof_terminations")?;
    let rows = stmt.query_map([], |r| r.get(0))?;
    Ok(rows.collect::<std::result::Result<_, _>>()?)
}

/// The server ended the upload at `url`.
pub fn terminated(tx: &Transaction<'_>, url: &str) -> Result<()> {
    tx.execute("DELETE FROM proof_terminations WHERE url = ?1", [url])?;
    Ok(())
}

/// The server has the whole proof: its retention clock ("uploaded") starts now.
pub fn set_done(tx: &Transaction<'_>, sha256: &str, bytes: u64, now: DateTime<Utc>) -> Result<()> {
    tx.execute(
        "UPDATE proofs SET upload_offset = ?2, uploaded_at = ?3 WHERE sha256 = ?1",
        params![sha256, bytes as i64, now.to_rfc3339()],
    )?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::privacy::manifest::Permission;
    use crate::purpose::Purpose;
    use crate::test_support::driver;
    use waybill_protocol::{LatLon, OrderStatus};

    #[test]
    fn the_delivery_goes_first_and_progress_survives_until_done() {
        let d = driver();
        d.allow("proof_photos", &[Permission::Camera]);
        let drop = LatLon {
            lat: 31.0,
            lon: 121.0,
        };
        d.server_order("o-1", OrderStatus::PickedUp, true, drop);
        let basis = d.gate.check(Purpose::ProofPhotos).unwrap();
        let captured = crate::proof::Capture {
            at: Utc::now(),
            elapsed_ms: None,
        };
        let db = &d.services.db;
        db.write(|tx| {
            use crate::proof::{ProofKind, record};
            let now = Utc::now();
            record(
                tx,
                &basis,
                "o-1",
                ProofKind::Damage,
                "report_exception",
                "aa",
                "aa.jpg",
                10,
                captured,
                now,
            )?;
            record(
                tx,
                &basis,
                "o-1",
                ProofKind::Delivery,
                "deliver",
                "bb",
                "bb.jpg",
                20,
                captured,
                now,
            )
        })
        .unwrap();
        let first = db.read(next).unwrap().unwrap();
        assert_eq!((first.sha256.as_str(), first.url.as_deref()), ("bb", None));
        db.write(|tx| set_progress(tx, "bb", Some("http://x/u/1"), 8))
            .unwrap();
        let resumed = db.read(next).unwrap().unwrap();
        assert_eq!(
            (resumed.url.as_deref(), resumed.offset),
            (Some("http://x/u/1"), 8)
        );
        db.write(|tx| set_done(tx, "bb", 20, Utc::now())).unwrap();
        assert_eq!(db.read(next).unwrap().unwrap().sha256, "aa");
    }
}
