//! Photo proofs: taken for an order step (pickup, delivery, sign-off, damage, receipt,
//! scan), checked and stripped of metadata (`image`), kept in the app-private `proofs/`
//! folder under their SHA-256 — the proof's stable identity and the server's dedup key —
//! and recorded in SQLite; the file is sealed at rest (`sealed_file`), uploaded by tus.

pub mod export;
pub mod proofs;
pub mod queue;
pub mod rules;
pub mod tus;
pub mod upload;

pub use crate::media::ImageSource as ProofSource;
pub(crate) use crate::media::{image, sealed_file, write_atomically};

use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use rusqlite::{Connection, Transaction, params};
use sha2::{Digest, Sha256};

use crate::error::{Error, Result};
use crate::privacy::holdings::{Clock, Held, Holding, TableDecl};
use crate::privacy::manifest::RetentionStart;
use crate::purpose::Purpose;
use crate::ticket::Ticket;

/// What a proof shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProofKind {
    /// The goods at pickup.
    Pickup,
    /// The goods delivered.
    Delivery,
    /// The consignee's signature.
    Signature,
    /// Damage found.
    Damage,
    /// A receipt or delivery note.
    Receipt,
    /// A scanned code or document.
    Scan,
}

impl ProofKind {
    /// Stable name (database, wire).
    pub fn as_str(self) -> &'static str {
        match self {
            ProofKind::Pickup => "pickup",
            ProofKind::Delivery => "delivery",
            ProofKind::Signature => "signature",
            ProofKind::Damage => "damage",
            ProofKind::Receipt => "receipt",
            ProofKind::Scan => "scan",
        }
    }

    fn parse(s: &str) -> ProofKind {
        match s {
            "pickup" => ProofKind::Pickup,
            "delivery" => ProofKind::Delivery,
            "signature" => ProofKind::Signature,
            "damage" => ProofKind::Damage,
            "receipt" => ProofKind::Receipt,
            _ => ProofKind::Scan,
        }
    }
}

/// When a proof was captured: device time and, if the shell has it, the monotonic clock.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Capture {
    /// Device time.
    pub at: DateTime<Utc>,
    /// Monotonic time since boot, milliseconds.
    pub elapsed_ms: Option<i64>,
}

/// A proof as recorded.
#[derive(Debug, Clone, PartialEq)]
pub struct Proof {
    /// SHA-256 of the stored (stripped) bytes, lowercase hex.
    pub sha256: String,
    /// Order.
    pub order_id: String,
    /// What it shows.
    pub kind: ProofKind,
    /// The order step it proves (an action name: `pick_up`, `deliver`...).
    pub step: String,
    /// Bytes stored.
    pub bytes: u64,
    /// When it was captured.
    pub captured: Capture,
    /// Bytes the server confirmed so far.
    pub uploaded_bytes: u64,
    /// When the upload completed.
    pub uploaded_at: Option<DateTime<Utc>>,
    /// Where the driver was when it was taken (the leg's last fix), if the trajectory
    /// purpose allowed recording it.
    pub position: Option<crate::track::Fix>,
}

/// The app-private folder of proof files.
pub fn folder(data_dir: &Path) -> PathBuf {
    data_dir.join("proofs")
}

/// Deletes the record of proof `sha256` of `order_id` (its file goes with the next
/// clean-up of unreferenced files); returns whether there was one.
pub fn delete(tx: &Transaction<'_>, order_id: &str, sha256: &str) -> Result<bool> {
    let n = tx.execute(
        "DELETE FROM proofs WHERE order_id = ?1 AND sha256 = ?2",
        [order_id, sha256],
    )?;
    Ok(n > 0)
}

/// Every proof held, oldest first (the export).
pub fn all(conn: &Connection) -> Result<Vec<Proof>> {
    let mut stmt = conn.prepare("SELECT DISTINCT order_id FROM proofs ORDER BY order_id")?;
    let orders: Vec<String> = stmt
        .query_map([], |r| r.get(0))?
        .collect::<std::result::Result<_, _>>()?;
    let mut out = vec![];
    for order_id in orders {
        out.extend(of_order(conn, &order_id)?);
    }
    Ok(out)
}

/// Reads, checks and strips an image; returns the bytes to keep, their SHA-256 (hex) and
/// the file name they are kept under.
pub fn prepare(source: &ProofSource) -> Result<(Vec<u8>, String, String)> {
    let (bytes, format) = source.read_stripped(image::MAX_BYTES).map_err(invalid)?;
    let sha256 = waybill_protocol::hex(&Sha256::digest(&bytes));
    let name = format!("{sha256}.{}", format.extension());
    Ok((bytes, sha256, name))
}

fn invalid(reason: String) -> Error {
    Error::InvalidProof { reason }
}

/// `len` bytes of the image in the sealed proof file at `path` from `offset` (one upload
/// chunk).
pub fn read_chunk(
    key: &crate::db::DataKey,
    path: &Path,
    offset: u64,
    len: usize,
) -> Result<Vec<u8>> {
    sealed_file::read_range(key, path, offset, len)
}

/// The file name of the proof with hash `sha256`, if one is held.
pub fn file_of(conn: &Connection, sha256: &str) -> Result<Option<String>> {
    use rusqlite::OptionalExtension;
    Ok(conn
        .query_row(
            "SELECT file_name FROM proofs WHERE sha256 = ?1",
            [sha256],
            |r| r.get(0),
        )
        .optional()?)
}

/// Records a proof whose file is in place. Taking the same image twice for the same order
/// is one proof (its hash is its identity).
#[allow(clippy::too_many_arguments)]
pub fn record(
    tx: &Transaction<'_>,
    basis: &Ticket,
    order_id: &str,
    kind: ProofKind,
    step: &str,
    sha256: &str,
    file_name: &str,
    bytes: u64,
    captured: Capture,
    now: DateTime<Utc>,
) -> Result<()> {
    tx.execute(
        "INSERT INTO proofs (sha256, order_id, purpose, kind, step, file_name, bytes,
                             captured_at, captured_elapsed_ms, collected_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)
         ON CONFLICT (sha256) DO NOTHING",
        params![
            sha256,
            order_id,
            basis.purpose(),
            kind.as_str(),
            step,
            file_name,
            bytes as i64,
            captured.at.to_rfc3339(),
            captured.elapsed_ms,
            now.to_rfc3339()
        ],
    )?;
    Ok(())
}

/// Records where the driver was when proof `sha256` was taken, under the trajectory
/// purpose's ticket (precise location).
pub fn record_position(
    tx: &Transaction<'_>,
    basis: &Ticket,
    order_id: &str,
    sha256: &str,
    fix: &crate::track::Fix,
    now: DateTime<Utc>,
) -> Result<()> {
    tx.execute(
        "INSERT OR IGNORE INTO proof_fixes
             (sha256, order_id, purpose, lat, lon, accuracy_m, fix_at, collected_at)
         VALUES (?1, ?2, ?3, seal(?4, 'proof_fixes.lat', ?1), seal(?5, 'proof_fixes.lon', ?1),
             seal(?6, 'proof_fixes.accuracy_m', ?1), ?7, ?8)",
        params![
            sha256,
            order_id,
            basis.purpose(),
            fix.lat,
            fix.lon,
            fix.accuracy_m,
            fix.at.to_rfc3339(),
            now.to_rfc3339()
        ],
    )?;
    Ok(())
}

/// The proofs of `order_id`, in upload order: the delivery's before an earlier damage
/// note, then oldest first.
pub fn of_order(conn: &Connection, order_id: &str) -> Result<Vec<Proof>> {
    let mut stmt = conn.prepare(
        "SELECT p.sha256, p.order_id, kind, step, bytes, captured_at, captured_elapsed_ms,
                upload_offset, uploaded_at, unseal(f.lat, 'proof_fixes.lat', f.sha256),
                unseal(f.lon, 'proof_fixes.lon', f.sha256),
                unseal(f.accuracy_m, 'proof_fixes.accuracy_m', f.sha256), f.fix_at
         FROM proofs p LEFT JOIN proof_fixes f ON f.sha256 = p.sha256
         WHERE p.order_id = ?1
         ORDER BY CASE kind WHEN 'delivery' THEN 0 WHEN 'signature' THEN 1
                            WHEN 'pickup' THEN 2 ELSE 3 END, p.collected_at",
    )?;
    let time = |s: String| {
        DateTime::parse_from_rfc3339(&s)
            .map(|t| t.with_timezone(&Utc))
            .unwrap_or_default()
    };
    let rows = stmt.query_map([order_id], |r| {
        Ok(Proof {
            sha256: r.get(0)?,
            order_id: r.get(1)?,
            kind: ProofKind::parse(&r.get::<_, String>(2)?),
            step: r.get(3)?,
            bytes: r.get::<_, i64>(4)? as u64,
            captured: Capture {
                at: time(r.get(5)?),
                elapsed_ms: r.get(6)?,
            },
            uploaded_bytes: r.get::<_, i64>(7)? as u64,
            uploaded_at: r.get::<_, Option<String>>(8)?.map(time),
            position: match (r.get::<_, Option<f64>>(9)?, r.get::<_, Option<f64>>(10)?) {
                (Some(lat), Some(lon)) => Some(crate::track::Fix {
                    at: r
                        .get::<_, Option<String>>(12)?
                        .map(time)
                        .unwrap_or_default(),
                    lat,
                    lon,
                    accuracy_m: r.get(11)?,
                    elapsed_ms: None,
                    mock: false,
                }),
                _ => None,
            },
        })
    })?;
    Ok(rows.collect::<std::result::Result<_, _>>()?)
}

/// Deletes the files in `dir` that no proof row references (a purge, a retention sweep,
/// or a kill between writing a file and recording it); returns how many.
pub fn delete_unreferenced(conn: &Connection, dir: &Path) -> Result<u32> {
    crate::media::delete_unnamed(
        conn,
        dir,
        "SELECT EXISTS (SELECT 1 FROM proofs WHERE file_name = ?1)",
    )
}

/// The proof engine's personal tables.
pub const HOLDINGS: &[Holding] = &[
    Holding {
        table: "proofs",
        categories: "CASE purpose WHEN 'album_upload' THEN 'album_images' ELSE 'proof_photos' END",
        purpose: "purpose",
        written_for: &[Purpose::ProofPhotos, Purpose::AlbumUpload],
        clock: |from| match from {
            RetentionStart::Collected => Some(Clock::Column("collected_at")),
            RetentionStart::OrderClosed => Some(Clock::OrderClosed),
            // The photo itself is deleted when its upload completes; the record (hash,
            // kind, step — no image) stays while the order is open, as the proof that
            // the step's requirement is met.
            RetentionStart::Uploaded => Some(Clock::ColumnOnceClosed("uploaded_at")),
            RetentionStart::AccountClosed => None,
        },
        needed_for_open_order: None,
        order_bound: true,
    },
    Holding {
        table: "proof_fixes",
        categories: "'precise_location'",
        purpose: "purpose",
        written_for: &[Purpose::Trajectory],
        clock: |from| match from {
            RetentionStart::Collected => Some(Clock::Column("collected_at")),
            RetentionStart::OrderClosed => Some(Clock::OrderClosed),
            RetentionStart::Uploaded | RetentionStart::AccountClosed => None,
        },
        needed_for_open_order: None,
        order_bound: true,
    },
];

/// The proof engine's tables, column by column.
pub const TABLES: &[TableDecl] = &[
    TableDecl {
        table: "proofs",
        held: Held::ForPurpose,
        personal: &[
            "file_name",
            "captured_at",
            "captured_elapsed_ms",
            "collected_at",
        ],
        plain: &[
            "sha256",
            "order_id",
            "purpose",
            "kind",
            "step",
            "bytes",
            "upload_url",
            "upload_offset",
            "uploaded_at",
        ],
        why_plain: "the image's hash and size, the order step it proves and the upload's state \
            (the image itself is a sealed file)",
    },
    TableDecl {
        table: "proof_fixes",
        held: Held::ForPurpose,
        personal: &["lat", "lon", "accuracy_m", "fix_at", "collected_at"],
        plain: &["sha256", "order_id", "purpose"],
        why_plain: "which proof the position belongs to",
    },
    TableDecl {
        table: "proof_terminations",
        held: Held::NotPersonal("upload URLs on the server to cancel (random ids)"),
        personal: &[],
        plain: &["url"],
        why_plain: "server-made upload ids",
    },
];
