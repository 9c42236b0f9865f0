//! The one public error of the core. Each engine has its own internal error; this file is
//! the single conversion table from those to variants a caller can act on. Messages never
//! carry personal data (no names, phones, addresses, coordinates): they may reach logs.

use crate::db::StorageError;
use crate::net::NetError;
use waybill_protocol::ErrorCode;

/// Result of public core operations.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// What went wrong, shaped by what the caller can do about it.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum Error {
    /// The configuration given to `Waybill::open` is unusable.
    #[error("invalid configuration: {reason}")]
    InvalidConfig {
        /// What is wrong.
        reason: String,
    },
    /// An argument is out of range or malformed; nothing was stored.
    #[error("invalid input: {reason}")]
    InvalidInput {
        /// What is wrong.
        reason: String,
    },
    /// A step was completed without a proof its rules require; nothing was queued.
    #[error("proof required: {}", missing.join(", "))]
    ProofRequired {
        /// Proof kinds still to take (`delivery`, `signature`...).
        missing: Vec<String>,
    },
    /// The delivery is signed off away from the drop-off stop; give an override reason.
    #[error("{distance_m} m from the drop-off: an override reason is needed")]
    OutsideGeofence {
        /// Distance of the last fix from the drop-off point, metres.
        distance_m: u32,
    },
    /// A proof image is not acceptable (not an image, corrupt, too large, or a format
    /// whose metadata cannot be stripped); nothing was stored.
    #[error("invalid proof: {reason}")]
    InvalidProof {
        /// What is wrong.
        reason: String,
    },
    /// The local database failed; nothing acknowledged before was lost.
    #[error("storage failure: {reason}")]
    Storage {
        /// What failed.
        reason: String,
    },
    /// The data key could not be had from the shell's secure store, or it does not open
    /// this database; nothing was changed.
    #[error("the data key is unavailable: {reason}")]
    KeyUnavailable {
        /// What failed: the secure store, or a key that does not open this database.
        reason: String,
    },
    /// The database was written by a newer version of the app.
    #[error("database schema v{found} is newer than v{supported}; update the app")]
    SchemaTooNew {
        /// Version found in the file.
        found: u32,
        /// Latest version this build supports.
        supported: u32,
    },
    /// The server could not be reached or the connection broke; retry later. Local work
    /// stays queued.
    #[error("offline: {reason}")]
    Offline {
        /// Transport-level cause.
        reason: String,
    },
    /// The server failed (5xx) or answered something unexpected; retry later.
    #[error("server error (HTTP {status}): {reason}")]
    Server {
        /// HTTP status code.
        status: u16,
        /// Server's explanation.
        reason: String,
    },
    /// The server replied with a body that breaks the sync contract.
    #[error("malformed server reply: {reason}")]
    ProtocolViolation {
        /// What did not parse.
        reason: String,
    },
    /// No session yet: sign in first (a code for the number, or `sign_in` on a device
    /// that was signed in before).
    #[error("not signed in")]
    NotSignedIn,
    /// This device is not signed in to any account any more (signed out from another
    /// device, or never signed in): ask a code for the number and sign in with it.
    #[error("sign in with a code sent to your number")]
    SignInRequired,
    /// The one-time code is wrong, expired, already used or burnt by too many guesses;
    /// ask for a new one.
    #[error("the code is not valid")]
    CodeInvalid,
    /// Too many codes were asked; ask again after `retry_after_s`.
    #[error("too many codes; ask again in {retry_after_s} s")]
    RateLimited {
        /// Seconds to wait.
        retry_after_s: u64,
    },
    /// The request needs a fresh step-up code (export, deletion, correction, cancellation):
    /// ask one with `request_step_up_code`.
    #[error("confirm with a code sent to your number")]
    StepUpRequired,
    /// The age question comes first: nothing account-bound is collected before it.
    #[error("declare your age before signing up")]
    AgeNotDeclared,
    /// The device holds another account's data (signed out, not wiped): sign that account
    /// out here first (`sign_out`), which wipes it, then sign in with the new number.
    #[error("this device holds the data of another account ({phone_masked}); sign it out first")]
    AnotherAccountOnDevice {
        /// That account's number, masked.
        phone_masked: String,
    },
    /// Real-name data cannot be deleted within seven days of a delivery (seed 000).
    #[error("real-name data can be deleted from {deletable_from}")]
    RecentDelivery {
        /// When it can.
        deletable_from: chrono::DateTime<chrono::Utc>,
    },
    /// The operator suspended the account: nothing is sent until it is lifted; queued
    /// work is kept.
    #[error("the account is suspended")]
    AccountSuspended,
    /// The account was closed (here or on another device); local account data is wiped.
    #[error("the account was closed")]
    AccountClosed,
    /// The server refused the stored token; sign in again.
    #[error("the server refused this device's credentials")]
    Unauthorized,
    /// No such order in the local cache or on the server.
    #[error("order {order_id} not found")]
    OrderNotFound {
        /// The order asked for.
        order_id: String,
    },
    /// The order can no longer be accepted: another driver holds it, or it was cancelled.
    #[error("order {order_id} is not available: {reason:?}")]
    OrderNotAvailable {
        /// The order asked for.
        order_id: String,
        /// Why it is not available.
        reason: Unavailable,
    },
    /// The action is not possible from the order's current (effective) status, e.g.
    /// deliver before pickup, or acting on an order someone else holds.
    #[error("{action} is not possible on order {order_id} while it is {status:?}")]
    InvalidTransition {
        /// The order.
        order_id: String,
        /// The action tried.
        action: String,
        /// The order's effective status.
        status: waybill_protocol::OrderStatus,
    },
    /// A shipper entering someone else's data (sender, recipient) must confirm they may
    /// share it (P-28); nothing was stored.
    #[error("confirm that you may share the other parties' contact data")]
    ThirdPartyConfirmationRequired,
    /// Fixes are kept only during a job: an open order this driver holds.
    #[error("order {order_id} is not an open order this driver holds; no fix was stored")]
    NotInJob {
        /// The order named.
        order_id: String,
    },
    /// No live basis for the purpose: the policy or this purpose's consent is missing,
    /// refused or withdrawn. Nothing was stored or sent.
    #[error("no consent for purpose {purpose}")]
    ConsentRequired {
        /// The purpose (or `policy` when the policy itself is not accepted).
        purpose: String,
    },
    /// The purpose is allowed but the OS permission it needs is not granted.
    #[error("purpose {purpose} needs the {permission} permission")]
    PermissionRequired {
        /// The purpose.
        purpose: String,
        /// The permission, e.g. `camera`.
        permission: String,
    },
    /// The user is under the policy's minimum age and no guardian has consented yet.
    #[error("a guardian's consent is required")]
    GuardianConsentRequired,
    /// The service stopped at `at`, as a signed notice announced at least 30 days before
    /// (P-70): nothing is collected any more, and the sweep deletes what the device held.
    #[error("the service stopped")]
    ServiceStopped {
        /// When it stopped.
        at: chrono::DateTime<chrono::Utc>,
    },
    /// A policy manifest was rejected; the one in force stays.
    #[error("invalid policy manifest: {reason}")]
    InvalidManifest {
        /// Where and why.
        reason: String,
    },
    /// The consent ledger's hash chain is broken at this receipt.
    #[error("the consent ledger was altered at receipt {seq}")]
    LedgerTampered {
        /// First receipt whose hash does not match.
        seq: i64,
    },
    /// The client was closed while the call was running.
    #[error("the client is shut down")]
    Shutdown,
    /// The app cancelled the call (`cancel_running`); what it finished is kept and the
    /// rest is done by the next sync.
    #[error("cancelled by the app")]
    Cancelled,
    /// A bug: an invariant of the core broke. Please report it.
    #[error("internal error: {reason}")]
    Internal {
        /// What broke.
        reason: String,
    },
}

/// Why an order cannot be taken.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unavailable {
    /// Another driver accepted it first.
    TakenByAnotherDriver,
    /// The shipper cancelled it.
    Cancelled,
    /// This driver already accepted it (or an acceptance is queued).
    AlreadyAccepted,
}

impl Unavailable {
    /// Stable text form, used in storage and logs.
    pub fn as_str(self) -> &'static str {
        match self {
            Unavailable::TakenByAnotherDriver => "taken_by_another_driver",
            Unavailable::Cancelled => "cancelled",
            Unavailable::AlreadyAccepted => "already_accepted",
        }
    }

    /// Parses the stable text form.
    pub fn parse(s: &str) -> Option<Unavailable> {
        match s {
            "taken_by_another_driver" => Some(Unavailable::TakenByAnotherDriver),
            "cancelled" => Some(Unavailable::Cancelled),
            "already_accepted" => Some(Unavailable::AlreadyAccepted),
            _ => None,
        }
    }
}

impl From<StorageError> for Error {
    fn from(e: StorageError) -> Self {
        match e {
            StorageError::SchemaTooNew { found, supported } => {
                Error::SchemaTooNew { found, supported }
            }
            StorageError::WrongKey => Error::KeyUnavailable {
                reason: StorageError::WrongKey.to_string(),
            },
            other => Error::Storage {
                reason: other.to_string(),
            },
        }
    }
}

impl From<rusqlite::Error> for Error {
    fn from(e: rusqlite::Error) -> Self {
        StorageError::from(e).into()
    }
}

impl From<NetError> for Error {
    fn from(e: NetError) -> Self {
        match e {
            NetError::Transport(reason) => Error::Offline { reason },
            NetError::Unauthorized => Error::Unauthorized,
            NetError::Decode(reason) => Error::ProtocolViolation { reason },
            NetError::RateLimited { retry_after_s } => Error::RateLimited { retry_after_s },
            NetError::Rejected { status, body } => match body.code {
                ErrorCode::CodeRequired => Error::SignInRequired,
                ErrorCode::CodeInvalid => Error::CodeInvalid,
                ErrorCode::StepUpRequired => Error::StepUpRequired,
                ErrorCode::AccountSuspended => Error::AccountSuspended,
                ErrorCode::AccountClosed => Error::AccountClosed,
                ErrorCode::AgeRequired => Error::AgeNotDeclared,
                // The date is the message's last word; a server that sends none (or lies)
                // gets the rule's full hold from now.
                ErrorCode::RecentDelivery => Error::RecentDelivery {
                    deletable_from: body
                        .message
                        .rsplit(' ')
                        .next()
                        .and_then(|w| chrono::DateTime::parse_from_rfc3339(w).ok())
                        .map(|t| t.with_timezone(&chrono::Utc))
                        .unwrap_or_else(|| {
                            chrono::Utc::now()
                                + chrono::Duration::days(
                                    waybill_protocol::account::REAL_NAME_DELIVERY_HOLD_DAYS,
                                )
                        }),
                },
                _ => Error::Server {
                    status,
                    reason: format!("{:?}: {}", body.code, body.message),
                },
            },
            NetError::Status { status, reason } => Error::Server { status, reason },
        }
    }
}
