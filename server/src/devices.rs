//! Accounts are people (one per number and role); devices are their sessions. A device
//! the account does not know signs in with a one-time code sent to the number; a device
//! it knows renews its token with a fresh proof by its key (ADR 0007, ADR 0008). Tokens
//! are stored as SHA-256 and looked up by it; a signed-out device's key and token are
//! deleted, so only a new code signs it in again. A closed account's credentials are
//! remembered as hashes, so they are answered `account_closed`, not `unauthorized`.

use chrono::{DateTime, Utc};
use rusqlite::{Connection, OptionalExtension, Transaction, TransactionBehavior, params};
use waybill_protocol::account::{
    AccountInfo, AccountStatus, AgeDeclaration, DeviceSession, mask_phone,
};
use waybill_protocol::{DeviceRegistered, ErrorCode, RegisterDevice, Role};

use crate::access::Caller;
use crate::sign_in::CodePurpose;
use crate::store::{StoreError, StoreResult};

/// How long a bearer token lives; the device renews it by signing in again with its key.
pub const TOKEN_LIFETIME: chrono::Duration = chrono::Duration::days(30);

/// How far a proof's time may be from the server's.
pub const PROOF_WINDOW: chrono::Duration = chrono::Duration::minutes(5);

/// Schema of accounts, devices and closed credentials.
pub const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS accounts (
    id          TEXT PRIMARY KEY NOT NULL,
    role        TEXT NOT NULL,
    -- The person's number, E.164; NULL once the account is closed.
    phone       TEXT,
    -- `adult` or `minor_with_guardian_consent`, as declared before the account opened.
    age         TEXT NOT NULL,
    -- `active` or `suspended`.
    status      TEXT NOT NULL DEFAULT 'active',
    closed_at   TEXT,
    created_at  TEXT NOT NULL
) STRICT;
CREATE UNIQUE INDEX IF NOT EXISTS accounts_by_phone ON accounts (phone, role)
    WHERE phone IS NOT NULL;
CREATE TABLE IF NOT EXISTS devices (
    id               TEXT PRIMARY KEY NOT NULL,
    installation_id  TEXT NOT NULL UNIQUE,
    account_id       TEXT NOT NULL REFERENCES accounts (id),
    app_id           TEXT NOT NULL,
    app_version      TEXT NOT NULL,
    -- The device's P-256 public key (hex) and the time of the last proof it signed: a
    -- proof is taken once and never one older.
    device_key       TEXT,
    last_proof_at    INTEGER,
    -- SHA-256 of the live bearer token (never the token), and when it expires.
    token_hash       TEXT NOT NULL UNIQUE,
    token_expires_at TEXT NOT NULL,
    signed_in_at     TEXT NOT NULL,
    renewed_at       TEXT NOT NULL
) STRICT;
CREATE INDEX IF NOT EXISTS devices_by_account ON devices (account_id);
-- SHA-256 of the tokens and installation ids of closed accounts: enough to answer
-- `account_closed`, nothing more.
CREATE TABLE IF NOT EXISTS closed_credentials (
    hash      TEXT PRIMARY KEY NOT NULL,
    closed_at TEXT NOT NULL
) STRICT, WITHOUT ROWID;
";

fn refused(code: ErrorCode, message: &str) -> StoreError {
    StoreError::Refused {
        code,
        message: message.into(),
    }
}

fn sha256_hex(text: &str) -> String {
    use sha2::Digest;
    waybill_protocol::hex(&sha2::Sha256::digest(text.as_bytes()))
}

/// SHA-256 of a token, hex: what the store keeps.
pub fn token_hash(token: &str) -> String {
    sha256_hex(token)
}

/// What a closed account's installation is remembered by.
fn installation_hash(installation_id: &str) -> String {
    sha256_hex(&format!("installation:{installation_id}"))
}

fn new_token() -> String {
    format!(
        "tok_{}{}",
        uuid::Uuid::new_v4().simple(),
        uuid::Uuid::new_v4().simple()
    )
}

/// Whether `req.proof` is a fresh signature by `key` (hex P-256 point) over the request;
/// the time it was signed at, in ms.
fn proof_holds(req: &RegisterDevice, key: &str, now: DateTime<Utc>) -> Option<i64> {
    let proof = req.proof.as_ref()?;
    if (proof.signed_at - now).abs() > PROOF_WINDOW {
        return None;
    }
    let key = waybill_protocol::unhex(key)?;
    let signature = waybill_protocol::unhex(&proof.signature)?;
    ring::signature::UnparsedPublicKey::new(&ring::signature::ECDSA_P256_SHA256_FIXED, key)
        .verify(&req.signed_message(proof.signed_at), &signature)
        .ok()?;
    Some(proof.signed_at.timestamp_millis())
}

/// A device as registered.
struct Known {
    id: String,
    account: String,
    role: String,
    status: String,
    phone: String,
    key: Option<String>,
    last_proof: Option<i64>,
}

fn known(tx: &Transaction<'_>, installation: &str) -> StoreResult<Option<Known>> {
    Ok(tx
        .query_row(
            "SELECT d.id, d.account_id, a.role, a.status, a.phone, d.device_key, d.last_proof_at
             FROM devices d JOIN accounts a ON a.id = d.account_id
             WHERE d.installation_id = ?1",
            [installation],
            |r| {
                Ok(Known {
                    id: r.get(0)?,
                    account: r.get(1)?,
                    role: r.get(2)?,
                    status: r.get(3)?,
                    phone: r.get::<_, Option<String>>(4)?.unwrap_or_default(),
                    key: r.get(5)?,
                    last_proof: r.get(6)?,
                })
            },
        )
        .optional()?)
}

fn is_closed(tx: &Transaction<'_>, hash: &str) -> StoreResult<bool> {
    Ok(tx
        .prepare_cached("SELECT 1 FROM closed_credentials WHERE hash = ?1")?
        .exists([hash])?)
}

fn suspended() -> StoreError {
    refused(
        ErrorCode::AccountSuspended,
        "this account is suspended; nothing is taken until it is lifted",
    )
}

/// Signs an installation in. A device the account knows: with a fresh proof by its key
/// (for its account's role) its token is renewed. Any installation: with a live code for
/// the number, sent to it, it signs in to the number's account for its role, opening it
/// (age declaration required) if there is none. Anything else is `code_required`, or
/// `account_closed` for an installation whose account was closed. The installation id
/// alone grants nothing, and a wrong code counts against the code even though the
/// registration fails.
pub fn register(conn: &mut Connection, req: &RegisterDevice) -> StoreResult<DeviceRegistered> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let now = Utc::now();
    let token = new_token();
    let expires = (now + TOKEN_LIFETIME).to_rfc3339();
    let Some(phone_code) = &req.phone_code else {
        let Some(device) = known(&tx, &req.installation_id)? else {
            if is_closed(&tx, &installation_hash(&req.installation_id))? {
                return Err(refused(ErrorCode::AccountClosed, "this account was closed"));
            }
            return Err(code_required());
        };
        let Some(key) = &device.key else {
            return Err(code_required());
        };
        let signed = proof_holds(req, key, now)
            .filter(|t| device.last_proof.is_none_or(|last| *t > last))
            .ok_or_else(|| {
                refused(
                    ErrorCode::Unauthorized,
                    "no fresh proof by this device's key",
                )
            })?;
        if device.role != req.role.as_str() {
            return Err(crate::access::forbidden());
        }
        if device.status == "suspended" {
            return Err(suspended());
        }
        tx.execute(
            "UPDATE devices SET token_hash = ?2, token_expires_at = ?3, last_proof_at = ?4,
                 app_version = ?5, renewed_at = ?6
             WHERE id = ?1",
            params![
                device.id,
                token_hash(&token),
                expires,
                signed,
                req.app_version,
                now.to_rfc3339()
            ],
        )?;
        tx.commit()?;
        return Ok(DeviceRegistered {
            account_id: device.account,
            token,
            phone_masked: mask_phone(&device.phone),
            new_account: false,
        });
    };
    // A key sent with a code is bound only with a proof by it.
    let signed = match &req.device_key {
        Some(key) => Some(proof_holds(req, key, now).ok_or_else(|| {
            refused(
                ErrorCode::Unauthorized,
                "the device key's proof does not hold",
            )
        })?),
        None => None,
    };
    let valid = crate::sign_in::take(
        &tx,
        &phone_code.phone,
        &req.installation_id,
        CodePurpose::SignIn,
        &phone_code.code,
    )?;
    if !valid {
        // The guess is counted even though nothing else happens.
        tx.commit()?;
        return Err(refused(ErrorCode::CodeInvalid, "the code is not valid"));
    }
    let existing: Option<(String, String)> = tx
        .query_row(
            "SELECT id, status FROM accounts WHERE phone = ?1 AND role = ?2",
            params![phone_code.phone, req.role.as_str()],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?;
    let (account_id, new_account) = match existing {
        Some((_, status)) if status == "suspended" => {
            tx.commit()?;
            return Err(suspended());
        }
        Some((id, _)) => (id, false),
        None => {
            let Some(age) = req.age else {
                tx.commit()?;
                return Err(refused(
                    ErrorCode::AgeRequired,
                    "a new account needs the age declaration",
                ));
            };
            let id = format!("acct_{}", uuid::Uuid::new_v4().simple());
            tx.execute(
                "INSERT INTO accounts (id, role, phone, age, created_at)
                 VALUES (?1, ?2, ?3, ?4, ?5)",
                params![
                    id,
                    req.role.as_str(),
                    phone_code.phone,
                    age_str(age),
                    now.to_rfc3339()
                ],
            )?;
            (id, true)
        }
    };
    // The installation's earlier session (this account or another) ends here.
    tx.execute(
        "DELETE FROM devices WHERE installation_id = ?1",
        [&req.installation_id],
    )?;
    tx.execute(
        "INSERT INTO devices (id, installation_id, account_id, app_id, app_version, device_key,
             last_proof_at, token_hash, token_expires_at, signed_in_at, renewed_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?10)",
        params![
            format!("dev_{}", uuid::Uuid::new_v4().simple()),
            req.installation_id,
            account_id,
            req.app_id,
            req.app_version,
            req.device_key,
            signed,
            token_hash(&token),
            expires,
            now.to_rfc3339()
        ],
    )?;
    tx.commit()?;
    Ok(DeviceRegistered {
        account_id,
        token,
        phone_masked: mask_phone(&phone_code.phone),
        new_account,
    })
}

fn code_required() -> StoreError {
    refused(
        ErrorCode::CodeRequired,
        "this installation is not signed in: sign in with a code sent to your number",
    )
}

/// Records the age the caller declared after signing up; a minor without a guardian's
/// consent may have no account, so it is closed as a cancellation closes it (P-66).
/// Returns whether it was closed and the upload files to delete once committed.
pub fn update_age(
    conn: &mut Connection,
    caller: &Caller,
    update: &waybill_protocol::account::AgeUpdate,
) -> StoreResult<(bool, Vec<String>)> {
    let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
    let (closed, files) = match (update.minor, update.guardian_consent) {
        (true, false) => (true, crate::closing::close(&tx, &caller.account)?),
        (minor, _) => {
            let age = if minor {
                AgeDeclaration::MinorWithGuardianConsent
            } else {
                AgeDeclaration::Adult
            };
            tx.execute(
                "UPDATE accounts SET age = ?2 WHERE id = ?1",
                params![caller.account, age_str(age)],
            )?;
            (false, vec![])
        }
    };
    tx.commit()?;
    if closed {
        crate::closing::checkpoint(conn);
    }
    Ok((closed, files))
}

fn age_str(age: AgeDeclaration) -> &'static str {
    match age {
        AgeDeclaration::Adult => "adult",
        AgeDeclaration::MinorWithGuardianConsent => "minor_with_guardian_consent",
    }
}

/// The caller a live bearer token names: `unauthorized` for none, `account_closed` for a
/// token of a closed account, `account_suspended` for a suspended one.
pub fn caller_for_token(conn: &Connection, token: &str) -> StoreResult<Caller> {
    let hash = token_hash(token);
    let row: Option<(String, String, String, String)> = conn
        .prepare_cached(
            "SELECT a.id, a.role, a.status, d.id FROM devices d JOIN accounts a ON a.id = d.account_id
             WHERE d.token_hash = ?1 AND d.token_expires_at > ?2",
        )?
        .query_row(params![hash, Utc::now().to_rfc3339()], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
        })
        .optional()?;
    let Some((account, role, status, device)) = row else {
        let closed = conn
            .prepare_cached("SELECT 1 FROM closed_credentials WHERE hash = ?1")?
            .exists([&hash])?;
        return Err(if closed {
            refused(ErrorCode::AccountClosed, "this account was closed")
        } else {
            refused(ErrorCode::Unauthorized, "unknown token")
        });
    };
    if status == "suspended" {
        return Err(suspended());
    }
    let role = Role::parse(&role).ok_or_else(|| refused(ErrorCode::Internal, "stored role"))?;
    Ok(Caller {
        account,
        role,
        device,
    })
}

/// The caller's account and its devices.
pub fn account_info(conn: &Connection, caller: &Caller) -> StoreResult<AccountInfo> {
    let (phone, status): (Option<String>, String) = conn.query_row(
        "SELECT phone, status FROM accounts WHERE id = ?1",
        [&caller.account],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?;
    let mut stmt = conn.prepare(
        "SELECT id, app_id, app_version, signed_in_at, renewed_at FROM devices
         WHERE account_id = ?1 ORDER BY signed_in_at, id",
    )?;
    let time = |s: String| {
        DateTime::parse_from_rfc3339(&s)
            .map(|t| t.with_timezone(&Utc))
            .unwrap_or_default()
    };
    let devices = stmt
        .query_map([&caller.account], |r| {
            let id: String = r.get(0)?;
            Ok(DeviceSession {
                current: id == caller.device,
                id,
                app_id: r.get(1)?,
                app_version: r.get(2)?,
                signed_in_at: time(r.get(3)?),
                renewed_at: time(r.get(4)?),
            })
        })?
        .collect::<Result<_, _>>()?;
    Ok(AccountInfo {
        account_id: caller.account.clone(),
        phone_masked: phone.as_deref().map(mask_phone).unwrap_or_default(),
        status: if status == "suspended" {
            AccountStatus::Suspended
        } else {
            AccountStatus::Active
        },
        devices,
    })
}

/// Signs device `id` of the caller's account out (its key and token go: only a new code
/// signs it in again). Another account's device, or none, is `device_not_found`.
pub fn sign_out_device(conn: &Connection, caller: &Caller, id: &str) -> StoreResult<()> {
    let gone = conn.execute(
        "DELETE FROM devices WHERE id = ?1 AND account_id = ?2",
        params![id, caller.account],
    )?;
    if gone == 0 {
        return Err(refused(
            ErrorCode::DeviceNotFound,
            "no such device of yours",
        ));
    }
    Ok(())
}

/// Signs the caller's device out, or every device of its account.
pub fn sign_out(conn: &Connection, caller: &Caller, everywhere: bool) -> StoreResult<()> {
    if everywhere {
        conn.execute(
            "DELETE FROM devices WHERE account_id = ?1",
            [&caller.account],
        )?;
    } else {
        conn.execute("DELETE FROM devices WHERE id = ?1", [&caller.device])?;
    }
    Ok(())
}

/// The caller's number, for a step-up code.
pub fn phone_of(conn: &Connection, caller: &Caller) -> StoreResult<String> {
    let phone: Option<String> = conn.query_row(
        "SELECT phone FROM accounts WHERE id = ?1",
        [&caller.account],
        |r| r.get(0),
    )?;
    phone.ok_or_else(|| refused(ErrorCode::AccountClosed, "this account was closed"))
}

/// The installation of the caller's device (step-up codes are bound to it).
pub fn installation_of(conn: &Connection, caller: &Caller) -> StoreResult<String> {
    Ok(conn.query_row(
        "SELECT installation_id FROM devices WHERE id = ?1",
        [&caller.device],
        |r| r.get(0),
    )?)
}

/// Closes the account's sessions for good (in the closing transaction): every device
/// goes, and its token and installation are remembered as closed.
pub fn close_sessions(tx: &Transaction<'_>, account: &str, now: &str) -> StoreResult<()> {
    let mut stmt =
        tx.prepare("SELECT token_hash, installation_id FROM devices WHERE account_id = ?1")?;
    let rows: Vec<(String, String)> = stmt
        .query_map([account], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<Result<_, _>>()?;
    for (token, installation) in rows {
        for hash in [token, installation_hash(&installation)] {
            tx.execute(
                "INSERT OR IGNORE INTO closed_credentials (hash, closed_at) VALUES (?1, ?2)",
                params![hash, now],
            )?;
        }
    }
    tx.execute("DELETE FROM devices WHERE account_id = ?1", [account])?;
    Ok(())
}

/// Suspends or reinstates an account (the operator's decision; `waybill-server
/// --suspend`/`--reinstate`). Nothing is deleted either way.
pub fn set_suspended(conn: &Connection, account: &str, suspended: bool) -> StoreResult<bool> {
    Ok(conn.execute(
        "UPDATE accounts SET status = ?2 WHERE id = ?1 AND closed_at IS NULL",
        params![account, if suspended { "suspended" } else { "active" }],
    )? == 1)
}
