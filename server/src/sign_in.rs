//! One-time codes: asked for a number by one installation, sent through a [`CodeSender`],
//! kept only as a salted hash, good for five minutes, for that installation, for one use
//! and five guesses. Asking is limited per number (five per hour, whoever asks), per
//! number, installation and purpose (one per 30 s while the last one is unused) and per installation (ten per hour); the reply
//! never says whether the number has an account.
//!
//! The same codes serve step-up: a signed-in device asks for one to the account's number
//! before a rights request (export, deletion, correction, cancellation).

use std::io::Write;
use std::path::PathBuf;

use chrono::Utc;
use rusqlite::{Connection, OptionalExtension, Transaction, TransactionBehavior, params};
use waybill_protocol::account::{
    CODE_ATTEMPTS, CODE_LIFETIME_S, CODE_RESEND_S, CODES_PER_INSTALLATION_HOUR,
    CODES_PER_NUMBER_HOUR, CodeSent, mask_phone,
};

use crate::store::StoreResult;

/// What a code is for; a code for one is never taken for the other.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CodePurpose {
    /// Signing a device in to the number's account (or opening it).
    SignIn,
    /// Confirming a rights request of a signed-in account.
    StepUp,
}

impl CodePurpose {
    fn as_str(self) -> &'static str {
        match self {
            CodePurpose::SignIn => "sign_in",
            CodePurpose::StepUp => "step_up",
        }
    }
}

/// Delivers codes to people: an SMS gateway in production.
pub trait CodeSender: Send + Sync {
    /// Sends `code` to `phone` (E.164).
    fn send(&self, phone: &str, code: &str, purpose: CodePurpose) -> std::io::Result<()>;
}

/// The reference server's sender, for development, tests and the demo only: it appends
/// one JSON line per code (`{"phone", "code", "purpose"}`) to a file next to the database
/// (`server.sqlite3` → `server.sqlite3.dev-codes.jsonl`). That file stands in for the
/// phone network: it holds numbers and live codes in clear, and a real deployment
/// replaces this sender with its SMS gateway.
#[derive(Debug, Clone)]
pub struct DevFileSender {
    path: PathBuf,
}

impl DevFileSender {
    /// Writes to `path`.
    pub fn new(path: PathBuf) -> DevFileSender {
        DevFileSender { path }
    }

    /// The file the development sender writes for the database at `db`.
    pub fn path_for(db: &std::path::Path) -> PathBuf {
        let mut name = db.as_os_str().to_owned();
        name.push(".dev-codes.jsonl");
        PathBuf::from(name)
    }
}

impl DevFileSender {
    /// The newest code this sender wrote for the server database at `db`, to `phone`
    /// (E.164) for `purpose` (`sign_in`, `step_up`): how tests and the demo read the SMS.
    pub fn latest(db: &std::path::Path, phone: &str, purpose: &str) -> Option<String> {
        let text = std::fs::read_to_string(Self::path_for(db)).ok()?;
        text.lines()
            .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
            .rfind(|v| v["phone"] == phone && v["purpose"] == purpose)
            .and_then(|v| v["code"].as_str().map(str::to_string))
    }
}

impl CodeSender for DevFileSender {
    fn send(&self, phone: &str, code: &str, purpose: CodePurpose) -> std::io::Result<()> {
        append_json_line(
            &self.path,
            &serde_json::json!({"phone": phone, "code": code, "purpose": purpose.as_str()}),
        )
    }
}

/// Appends `value` as one line to the development senders' file at `path`, durably.
pub(crate) fn append_json_line(
    path: &std::path::Path,
    value: &serde_json::Value,
) -> std::io::Result<()> {
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)?;
    writeln!(file, "{value}")?;
    file.sync_data()
}

fn code_hash(salt: &str, code: &str) -> String {
    use sha2::Digest;
    waybill_protocol::hex(&sha2::Sha256::digest(format!("{salt}:{code}").as_bytes()))
}

/// A code asked for and stored: send `code` to `phone`, then reply `sent`.
#[derive(Debug)]
pub struct Issued {
    /// The number to send to.
    pub phone: String,
    /// The code, in clear only until it is handed to the sender.
    pub code: String,
    /// The reply.
    pub sent: CodeSent,
}

/// Issues a code for `phone` to `installation` for `purpose` within the rate limits;
/// `Err(seconds)` inside is how long to wait.
pub fn issue(
    conn: &mut Connection,
    phone: &str,
    installation: &str,
    purpose: CodePurpose,
) -> StoreResult<Result<Issued, u64>> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let now = Utc::now().timestamp_millis();
    let hour_ago = now - 3_600_000;
    let per_number: u32 = tx.query_row(
        "SELECT count(*) FROM sign_in_codes WHERE phone = ?1 AND created_ms > ?2",
        params![phone, hour_ago],
        |r| r.get(0),
    )?;
    let last_here: Option<i64> = tx.query_row(
        "SELECT max(created_ms) FROM sign_in_codes
         WHERE phone = ?1 AND installation_id = ?2 AND purpose = ?3 AND used = 0
             AND expires_ms > ?4",
        params![phone, installation, purpose.as_str(), now],
        |r| r.get(0),
    )?;
    let per_installation: u32 = tx.query_row(
        "SELECT count(*) FROM sign_in_codes WHERE installation_id = ?1 AND created_ms > ?2",
        params![installation, hour_ago],
        |r| r.get(0),
    )?;
    let resend_at = last_here.map(|t| t + i64::from(CODE_RESEND_S) * 1_000);
    if let Some(at) = resend_at.filter(|at| *at > now) {
        return Ok(Err((at - now).unsigned_abs().div_ceil(1_000)));
    }
    if per_number >= CODES_PER_NUMBER_HOUR || per_installation >= CODES_PER_INSTALLATION_HOUR {
        return Ok(Err(3_600));
    }
    let code = random_code();
    let salt = uuid::Uuid::new_v4().simple().to_string();
    tx.execute(
        "INSERT INTO sign_in_codes (phone, installation_id, purpose, salt, code_hash, attempts,
             created_ms, expires_ms)
         VALUES (?1, ?2, ?3, ?4, ?5, 0, ?6, ?7)",
        params![
            phone,
            installation,
            purpose.as_str(),
            salt,
            code_hash(&salt, &code),
            now,
            now + i64::from(CODE_LIFETIME_S) * 1_000
        ],
    )?;
    tx.commit()?;
    Ok(Ok(Issued {
        phone: phone.to_string(),
        code,
        sent: CodeSent {
            phone_masked: mask_phone(phone),
            expires_in_s: CODE_LIFETIME_S,
            resend_after_s: CODE_RESEND_S,
        },
    }))
}

fn random_code() -> String {
    let mut bytes = [0u8; 4];
    ring::rand::SecureRandom::fill(&ring::rand::SystemRandom::new(), &mut bytes)
        .expect("system randomness");
    // 2^32 is not a multiple of 10^6; the bias this leaves is below 0.03 %.
    format!("{:06}", u32::from_le_bytes(bytes) % 1_000_000)
}

/// Takes `code` for `phone`, `installation` and `purpose` in `tx`: true when the newest
/// live code of theirs matches, which is then used up. A wrong guess counts against that
/// code and the fifth burns it; the caller commits even when this is false. No answer
/// tells a guesser which part was wrong.
pub fn take(
    tx: &Transaction<'_>,
    phone: &str,
    installation: &str,
    purpose: CodePurpose,
    code: &str,
) -> StoreResult<bool> {
    let now = Utc::now().timestamp_millis();
    let live: Option<(i64, String, String)> = tx
        .query_row(
            "SELECT id, salt, code_hash FROM sign_in_codes
             WHERE phone = ?1 AND installation_id = ?2 AND purpose = ?3 AND used = 0
                 AND attempts < ?4 AND expires_ms > ?5
             ORDER BY id DESC LIMIT 1",
            params![phone, installation, purpose.as_str(), CODE_ATTEMPTS, now],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .optional()?;
    let Some((id, salt, hash)) = live else {
        return Ok(false);
    };
    if !waybill_protocol::account::is_code(code) || code_hash(&salt, code) != hash {
        tx.execute(
            "UPDATE sign_in_codes SET attempts = attempts + 1 WHERE id = ?1",
            [id],
        )?;
        return Ok(false);
    }
    tx.execute("UPDATE sign_in_codes SET used = 1 WHERE id = ?1", [id])?;
    Ok(true)
}

/// Deletes codes older than the rate-limit window (they hold numbers, some of people
/// who never opened an account); returns how many went.
pub fn sweep(conn: &Connection, now: chrono::DateTime<Utc>) -> StoreResult<usize> {
    Ok(conn.execute(
        "DELETE FROM sign_in_codes WHERE created_ms < ?1",
        [now.timestamp_millis() - 3_600_000],
    )?)
}

/// Schema of the codes.
pub const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS sign_in_codes (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    phone           TEXT NOT NULL,
    installation_id TEXT NOT NULL,
    purpose         TEXT NOT NULL,
    salt            TEXT NOT NULL,
    -- SHA-256 of salt and code: the code itself is never stored.
    code_hash       TEXT NOT NULL,
    attempts        INTEGER NOT NULL,
    used            INTEGER NOT NULL DEFAULT 0,
    created_ms      INTEGER NOT NULL,
    expires_ms      INTEGER NOT NULL
) STRICT;
CREATE INDEX IF NOT EXISTS sign_in_codes_by_phone ON sign_in_codes (phone, created_ms);
CREATE INDEX IF NOT EXISTS sign_in_codes_by_installation ON sign_in_codes (installation_id, created_ms);
";
