//! Personal columns sealed at rest: AES-256-GCM (ring, already linked for TLS) behind SQL
//! functions registered on every connection. The SQL that writes a personal column calls
//! `seal(?, 'table.column', row)`, the SQL that reads it `unseal(col, 'table.column',
//! row)`, so the rules stay in the queries that own the columns and a migration can seal
//! existing rows in SQL. Why columns and not SQLCipher: docs/at-rest.md.
//!
//! A sealed value is `version (1) ‖ nonce (12) ‖ ciphertext ‖ tag (16)`; the plaintext is
//! `type (1) ‖ bytes` so `unseal` gives back the SQLite type that went in (REAL, TEXT,
//! INTEGER, BLOB). NULL stays NULL: whether an optional field is empty is not personal.
//!
//! Version 2 binds each value to its table, column and row (the row's own key) as the
//! AEAD's associated data: a cell copied onto another row or column does not open, so
//! someone who can write the file but has no key cannot swap one order's consignee into
//! another's. Version 1 (no binding) is read only by migration 12, which re-seals every
//! version-1 value, and written only by migration 11, which ran before it.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use ring::aead::{AES_256_GCM, Aad, LessSafeKey, NONCE_LEN, Nonce, UnboundKey};
use ring::rand::{SecureRandom, SystemRandom};
use rusqlite::Connection;
use rusqlite::functions::FunctionFlags;
use rusqlite::types::{Value, ValueRef};

/// Bytes of a data key.
pub const KEY_LEN: usize = 32;
/// Values bound to their table, column and row.
const VERSION: u8 = 2;
/// Values sealed before binding (migration 11); opened only to be re-sealed.
const VERSION_UNBOUND: u8 = 1;
const TAG_LEN: usize = 16;

/// The key that seals personal columns and proof files. Cheap to clone; never printed.
#[derive(Clone)]
pub struct DataKey {
    key: Arc<LessSafeKey>,
    /// Its own AES key for proof files, derived from the same bytes, so column and file
    /// ciphertexts never share a key (their nonces are made differently).
    files: Arc<LessSafeKey>,
    /// Nonces: a random 96-bit start drawn when the key is loaded, plus a counter. Two
    /// runs of the app collide only if their random starts land within a few million of
    /// each other in 2^96; a system call for every value would cost 0.8 µs each.
    nonce_start: [u8; NONCE_LEN],
    sealed: Arc<AtomicU64>,
}

impl std::fmt::Debug for DataKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("DataKey(..)")
    }
}

/// A sealed value could not be opened or a value could not be sealed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SealError {
    /// Wrong key, or the bytes were altered.
    #[error("a sealed value does not open with this key (wrong key or altered bytes)")]
    WrongKeyOrTampered,
    /// The value is not in the sealed format.
    #[error("not a sealed value")]
    NotSealed,
    /// The system random generator failed.
    #[error("no randomness for a nonce")]
    NoRandomness,
    /// The value is longer than AES-GCM can seal under one nonce (64 GiB).
    #[error("the value is too long to seal")]
    TooLong,
}

impl DataKey {
    /// A key from its 32 bytes.
    pub fn from_bytes(bytes: &[u8]) -> Option<DataKey> {
        if bytes.len() != KEY_LEN {
            return None;
        }
        use sha2::{Digest, Sha256};
        let unbound = UnboundKey::new(&AES_256_GCM, bytes).ok()?;
        let derived = Sha256::new()
            .chain_update(b"waybill proof files v1")
            .chain_update(bytes)
            .finalize();
        let files = UnboundKey::new(&AES_256_GCM, &derived).ok()?;
        let mut nonce_start = [0u8; NONCE_LEN];
        SystemRandom::new().fill(&mut nonce_start).ok()?;
        Some(DataKey {
            key: Arc::new(LessSafeKey::new(unbound)),
            files: Arc::new(LessSafeKey::new(files)),
            nonce_start,
            sealed: Arc::new(AtomicU64::new(0)),
        })
    }

    /// The proof-file key.
    pub(crate) fn file_key(&self) -> &LessSafeKey {
        &self.files
    }

    /// 32 fresh random bytes for a new key.
    pub fn generate_bytes() -> Result<[u8; KEY_LEN], SealError> {
        let mut bytes = [0u8; KEY_LEN];
        SystemRandom::new()
            .fill(&mut bytes)
            .map_err(|_| SealError::NoRandomness)?;
        Ok(bytes)
    }

    /// Seals `plain` bound to `context` (its table, column and row) under the next nonce
    /// of this run (random start + counter; a driver's phone seals a few million values a
    /// year, far below GCM's limits per key).
    pub fn seal_bound(&self, plain: &[u8], context: &[u8]) -> Result<Vec<u8>, SealError> {
        self.seal_as(VERSION, plain, context)
    }

    /// Opens what [`DataKey::seal_bound`] made with the same `context`.
    pub fn open_bound(&self, sealed: &[u8], context: &[u8]) -> Result<Vec<u8>, SealError> {
        self.open_as(VERSION, sealed, context)
    }

    /// Seals without binding (version 1): what migration 11 wrote. Nothing else writes it.
    pub fn seal(&self, plain: &[u8]) -> Result<Vec<u8>, SealError> {
        self.seal_as(VERSION_UNBOUND, plain, &[])
    }

    /// Opens a version-1 value (for migration 12 to re-seal it bound).
    pub fn open(&self, sealed: &[u8]) -> Result<Vec<u8>, SealError> {
        self.open_as(VERSION_UNBOUND, sealed, &[])
    }

    fn seal_as(&self, version: u8, plain: &[u8], aad: &[u8]) -> Result<Vec<u8>, SealError> {
        let n = self.sealed.fetch_add(1, Ordering::Relaxed);
        let mut nonce = self.nonce_start;
        let low = u64::from_be_bytes(nonce[4..].try_into().expect("8 bytes")).wrapping_add(n);
        nonce[4..].copy_from_slice(&low.to_be_bytes());
        let mut out = Vec::with_capacity(1 + NONCE_LEN + plain.len() + TAG_LEN);
        out.push(version);
        out.extend_from_slice(&nonce);
        let mut body = plain.to_vec();
        self.key
            .seal_in_place_append_tag(
                Nonce::assume_unique_for_key(nonce),
                Aad::from(with_version(version, aad)),
                &mut body,
            )
            .map_err(|_| SealError::TooLong)?;
        out.extend_from_slice(&body);
        Ok(out)
    }

    fn open_as(&self, version: u8, sealed: &[u8], aad: &[u8]) -> Result<Vec<u8>, SealError> {
        if sealed.len() < 1 + NONCE_LEN + TAG_LEN || sealed[0] != version {
            return Err(SealError::NotSealed);
        }
        let nonce: [u8; NONCE_LEN] = sealed[1..=NONCE_LEN]
            .try_into()
            .map_err(|_| SealError::NotSealed)?;
        let mut body = sealed[1 + NONCE_LEN..].to_vec();
        let plain = self
            .key
            .open_in_place(
                Nonce::assume_unique_for_key(nonce),
                Aad::from(with_version(version, aad)),
                &mut body,
            )
            .map_err(|_| SealError::WrongKeyOrTampered)?;
        Ok(plain.to_vec())
    }
}

/// Version 1 had no associated data; version 2 binds its context.
fn with_version(version: u8, context: &[u8]) -> Vec<u8> {
    if version == VERSION_UNBOUND {
        return vec![];
    }
    let mut aad = b"waybill sealed v2\0".to_vec();
    aad.extend_from_slice(context);
    aad
}

/// The associated data of a cell: its `table.column`, then its row's key as typed bytes
/// (so the text "1" and the integer 1 differ).
fn context(column: ValueRef<'_>, row: ValueRef<'_>) -> Result<Vec<u8>, SealError> {
    let ValueRef::Text(column) = column else {
        return Err(SealError::NotSealed);
    };
    let row = encode(row).ok_or(SealError::NotSealed)?;
    let mut out = Vec::with_capacity(column.len() + 1 + row.len());
    out.extend_from_slice(column);
    out.push(0);
    out.extend_from_slice(&row);
    Ok(out)
}

const INTEGER: u8 = 1;
const REAL: u8 = 2;
const TEXT: u8 = 3;
const BLOB: u8 = 4;

/// A SQL value as the bytes `seal` encrypts (`None` for NULL).
fn encode(value: ValueRef<'_>) -> Option<Vec<u8>> {
    let (kind, bytes) = match value {
        ValueRef::Null => return None,
        ValueRef::Integer(i) => (INTEGER, i.to_be_bytes().to_vec()),
        ValueRef::Real(f) => (REAL, f.to_be_bytes().to_vec()),
        ValueRef::Text(t) => (TEXT, t.to_vec()),
        ValueRef::Blob(b) => (BLOB, b.to_vec()),
    };
    let mut out = Vec::with_capacity(1 + bytes.len());
    out.push(kind);
    out.extend_from_slice(&bytes);
    Some(out)
}

fn decode(plain: &[u8]) -> Result<Value, SealError> {
    let (&kind, bytes) = plain.split_first().ok_or(SealError::NotSealed)?;
    let eight =
        || -> Result<[u8; 8], SealError> { bytes.try_into().map_err(|_| SealError::NotSealed) };
    Ok(match kind {
        INTEGER => Value::Integer(i64::from_be_bytes(eight()?)),
        REAL => Value::Real(f64::from_be_bytes(eight()?)),
        TEXT => Value::Text(String::from_utf8(bytes.to_vec()).map_err(|_| SealError::NotSealed)?),
        BLOB => Value::Blob(bytes.to_vec()),
        _ => return Err(SealError::NotSealed),
    })
}

fn user_error(e: SealError) -> rusqlite::Error {
    rusqlite::Error::UserFunctionError(Box::new(e))
}

/// Registers `seal(x, column, row)` and `unseal(x, column, row)` on `conn`, and the
/// unbound one-argument forms that migrations 11 and 12 call. One closure per function
/// serves both arities (one copy of rusqlite's glue each in the mobile library).
pub fn register(conn: &Connection, key: &DataKey) -> rusqlite::Result<()> {
    let sealer = key.clone();
    // Not deterministic: every call draws a new nonce, so SQLite must not fold calls.
    let seal = move |ctx: &rusqlite::functions::Context<'_>| {
        let Some(plain) = encode(ctx.get_raw(0)) else {
            return Ok(Value::Null);
        };
        let sealed = if ctx.len() == 3 {
            context(ctx.get_raw(1), ctx.get_raw(2)).and_then(|c| sealer.seal_bound(&plain, &c))
        } else {
            sealer.seal(&plain)
        };
        sealed.map(Value::Blob).map_err(user_error)
    };
    let opener = key.clone();
    let unseal = move |ctx: &rusqlite::functions::Context<'_>| match ctx.get_raw(0) {
        ValueRef::Null => Ok(Value::Null),
        ValueRef::Blob(b) => {
            let plain = if ctx.len() == 3 {
                context(ctx.get_raw(1), ctx.get_raw(2)).and_then(|c| opener.open_bound(b, &c))
            } else {
                opener.open(b)
            };
            plain.and_then(|p| decode(&p)).map_err(user_error)
        }
        _ => Err(user_error(SealError::NotSealed)),
    };
    let deterministic = FunctionFlags::SQLITE_UTF8 | FunctionFlags::SQLITE_DETERMINISTIC;
    conn.create_scalar_function("seal", 3, FunctionFlags::SQLITE_UTF8, seal.clone())?;
    conn.create_scalar_function("seal", 1, FunctionFlags::SQLITE_UTF8, seal)?;
    conn.create_scalar_function("unseal", 3, deterministic, unseal.clone())?;
    conn.create_scalar_function("unseal", 1, deterministic, unseal)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key() -> DataKey {
        DataKey::from_bytes(&DataKey::generate_bytes().unwrap()).unwrap()
    }

    #[test]
    fn every_sqlite_type_comes_back_as_it_went_in() {
        let conn = Connection::open_in_memory().unwrap();
        register(&conn, &key()).unwrap();
        let back: (f64, String, i64, Vec<u8>, Option<String>) = conn
            .query_row(
                "SELECT unseal(seal(48.137154, 't.c', 1), 't.c', 1),
                        unseal(seal('张三 13800138000', 't.c', 'a'), 't.c', 'a'),
                        unseal(seal(-7, 't.c', 1), 't.c', 1),
                        unseal(seal(x'00ff', 't.c', 1), 't.c', 1),
                        unseal(seal(NULL, 't.c', 1), 't.c', 1)",
                [],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)),
            )
            .unwrap();
        assert_eq!(
            back,
            (48.137154, "张三 13800138000".into(), -7, vec![0, 255], None)
        );
    }

    #[test]
    fn sealed_bytes_hide_the_value_and_differ_each_time() {
        let k = key();
        let a = k.seal(b"13800138000").unwrap();
        let b = k.seal(b"13800138000").unwrap();
        assert_ne!(a, b);
        assert!(!a.windows(11).any(|w| w == b"13800138000"));
        assert_eq!(k.open(&a).unwrap(), b"13800138000");
    }

    #[test]
    fn another_key_or_a_flipped_bit_is_refused() {
        let (k, other) = (key(), key());
        let mut sealed = k.seal(b"secret").unwrap();
        assert_eq!(other.open(&sealed), Err(SealError::WrongKeyOrTampered));
        let last = sealed.len() - 1;
        sealed[last] ^= 1;
        assert_eq!(k.open(&sealed), Err(SealError::WrongKeyOrTampered));
        assert_eq!(k.open(b"plain"), Err(SealError::NotSealed));
    }

    #[test]
    fn a_cell_moved_to_another_row_or_column_does_not_open() {
        let conn = Connection::open_in_memory().unwrap();
        register(&conn, &key()).unwrap();
        let sealed: Vec<u8> = conn
            .query_row(
                "SELECT seal('13912345678', 'order_parties.consignee_phone', 'ord-1')",
                [],
                |r| r.get(0),
            )
            .unwrap();
        let open = |column: &str, row: &dyn rusqlite::ToSql| -> rusqlite::Result<String> {
            conn.query_row(
                "SELECT unseal(?1, ?2, ?3)",
                rusqlite::params![sealed, column, row],
                |r| r.get(0),
            )
        };
        assert_eq!(
            open("order_parties.consignee_phone", &"ord-1").unwrap(),
            "13912345678"
        );
        assert!(
            open("order_parties.consignee_phone", &"ord-2").is_err(),
            "another row"
        );
        assert!(
            open("order_parties.consignor_phone", &"ord-1").is_err(),
            "another column"
        );
        assert!(
            open("order_parties.consignee_phone", &1).is_err(),
            "a row key of another type"
        );
        // An unbound (version 1) value is not accepted where a bound one is expected.
        let legacy: Vec<u8> = conn
            .query_row("SELECT seal('x')", [], |r| r.get(0))
            .unwrap();
        assert!(
            conn.query_row("SELECT unseal(?1, 't.c', 1)", [legacy], |r| r
                .get::<_, String>(0))
                .is_err()
        );
    }
}
