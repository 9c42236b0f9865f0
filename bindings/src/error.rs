//! The public error of the FFI: one variant per core error, same meaning. Kotlin sees
//! `WaybillException.Offline`, Swift `WaybillError.Offline`.

use crate::status::Unavailable;

/// What every forwarded call returns.
pub(crate) type Result<T> = std::result::Result<T, WaybillError>;

/// What went wrong, shaped by what the app can do about it.
#[derive(Debug, thiserror::Error, uniffi::Error)]
pub enum WaybillError {
    /// The configuration given to `open` is unusable.
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
    /// The data key could not be had from the app's secure store, or it does not open this
    /// database (a reset Keystore, a restored backup); nothing was changed.
    #[error("the data key is unavailable: {reason}")]
    KeyUnavailable {
        /// What failed.
        reason: String,
    },
    /// The database comes from a newer app version and was left untouched.
    #[error("database schema v{found} is newer than v{supported}")]
    SchemaTooNew {
        /// Version in the file.
        found: u32,
        /// Latest supported version.
        supported: u32,
    },
    /// The server is unreachable; local work stays queued. Retry later.
    #[error("offline: {reason}")]
    Offline {
        /// Transport-level cause.
        reason: String,
    },
    /// The server failed or answered unexpectedly. Retry later.
    #[error("server error (HTTP {status}): {reason}")]
    Server {
        /// HTTP status.
        status: u16,
        /// Server's explanation.
        reason: String,
    },
    /// The server's reply broke the sync contract.
    #[error("malformed server reply: {reason}")]
    ProtocolViolation {
        /// What did not parse.
        reason: String,
    },
    /// Sign in first (a code for the number).
    #[error("not signed in")]
    NotSignedIn,
    /// This device is not signed in to any account any more: sign in with a code.
    #[error("sign in with a code sent to your number")]
    SignInRequired,
    /// The one-time code is wrong, expired, used or burnt; ask for a new one.
    #[error("the code is not valid")]
    CodeInvalid,
    /// Too many codes asked; ask again after `retry_after_s`.
    #[error("too many codes; ask again in {retry_after_s} s")]
    RateLimited {
        /// Seconds to wait.
        retry_after_s: u64,
    },
    /// The request needs a fresh step-up code (`request_step_up_code`).
    #[error("confirm with a code sent to your number")]
    StepUpRequired,
    /// The device holds another account's data: sign it out here first (wipes it).
    #[error("this device holds the data of another account ({phone_masked}); sign it out first")]
    AnotherAccountOnDevice {
        /// That account's number, masked.
        phone_masked: String,
    },
    /// Real-name data cannot be deleted within seven days of a delivery.
    #[error("real-name data can be deleted from {deletable_from:?}")]
    RecentDelivery {
        /// When it can.
        deletable_from: std::time::SystemTime,
    },
    /// Ask the age question first: nothing account-bound is collected before it.
    #[error("declare your age before signing up")]
    AgeNotDeclared,
    /// The account is suspended; queued work is kept.
    #[error("the account is suspended")]
    AccountSuspended,
    /// The account was closed; local account data was wiped.
    #[error("the account was closed")]
    AccountClosed,
    /// The server refused this device's credentials; sign in again.
    #[error("unauthorized")]
    Unauthorized,
    /// No such order.
    #[error("order {order_id} not found")]
    OrderNotFound {
        /// The order asked for.
        order_id: String,
    },
    /// The order cannot be accepted (taken, cancelled, or already accepted).
    #[error("order {order_id} is not available")]
    OrderNotAvailable {
        /// The order asked for.
        order_id: String,
        /// Why.
        reason: Unavailable,
    },
    /// The action is not possible from the order's current status.
    #[error("{action} is not possible on order {order_id} while it is {status:?}")]
    InvalidTransition {
        /// The order.
        order_id: String,
        /// The action tried.
        action: String,
        /// Its effective status.
        status: crate::status::OrderStatus,
    },
    /// Confirm that you may share the sender's and recipient's data (P-28); nothing stored.
    #[error("confirm that you may share the other parties' contact data")]
    ThirdPartyConfirmationRequired,
    /// Fixes are kept only for an open order this driver holds; none was stored.
    #[error("order {order_id} is not an open order this driver holds")]
    NotInJob {
        /// The order named.
        order_id: String,
    },
    /// No live basis for the purpose (policy or consent missing, refused or withdrawn);
    /// nothing was stored or sent.
    #[error("no consent for purpose {purpose}")]
    ConsentRequired {
        /// The purpose, or `policy`.
        purpose: String,
    },
    /// The purpose needs an OS permission that is not granted.
    #[error("purpose {purpose} needs the {permission} permission")]
    PermissionRequired {
        /// The purpose.
        purpose: String,
        /// The permission.
        permission: String,
    },
    /// A guardian's consent is required before collection (user under the minimum age).
    #[error("a guardian's consent is required")]
    GuardianConsentRequired,
    /// The service stopped (a signed notice announced it 30 days before): nothing is
    /// collected, and the data the device held is deleted.
    #[error("the service stopped")]
    ServiceStopped {
        /// When it stopped.
        at: std::time::SystemTime,
    },
    /// A policy manifest was rejected; the one in force stays.
    #[error("invalid policy manifest: {reason}")]
    InvalidManifest {
        /// Where and why.
        reason: String,
    },
    /// The consent ledger was altered at this receipt.
    #[error("consent ledger altered at receipt {seq}")]
    LedgerTampered {
        /// First broken receipt.
        seq: i64,
    },
    /// The client was closed while the call ran.
    #[error("the client is shut down")]
    Shutdown,
    /// The app cancelled the call (a cancelled Swift task or Kotlin coroutine); what it
    /// finished is kept, the rest is done by the next sync.
    #[error("cancelled by the app")]
    Cancelled,
    /// A bug in the core; please report it.
    #[error("internal error: {reason}")]
    Internal {
        /// What broke.
        reason: String,
    },
}

impl From<waybill_core::Error> for WaybillError {
    fn from(e: waybill_core::Error) -> Self {
        use waybill_core::Error as E;
        match e {
            E::InvalidConfig { reason } => Self::InvalidConfig { reason },
            E::InvalidInput { reason } => Self::InvalidInput { reason },
            E::InvalidProof { reason } => Self::InvalidProof { reason },
            E::ProofRequired { missing } => Self::ProofRequired { missing },
            E::OutsideGeofence { distance_m } => Self::OutsideGeofence { distance_m },
            E::Storage { reason } => Self::Storage { reason },
            E::SchemaTooNew { found, supported } => Self::SchemaTooNew { found, supported },
            E::KeyUnavailable { reason } => Self::KeyUnavailable { reason },
            E::Offline { reason } => Self::Offline { reason },
            E::Server { status, reason } => Self::Server { status, reason },
            E::ProtocolViolation { reason } => Self::ProtocolViolation { reason },
            E::NotSignedIn => Self::NotSignedIn,
            E::SignInRequired => Self::SignInRequired,
            E::CodeInvalid => Self::CodeInvalid,
            E::RateLimited { retry_after_s } => Self::RateLimited { retry_after_s },
            E::StepUpRequired => Self::StepUpRequired,
            E::AgeNotDeclared => Self::AgeNotDeclared,
            E::AnotherAccountOnDevice { phone_masked } => {
                Self::AnotherAccountOnDevice { phone_masked }
            }
            E::RecentDelivery { deletable_from } => Self::RecentDelivery {
                deletable_from: deletable_from.into(),
            },
            E::AccountSuspended => Self::AccountSuspended,
            E::AccountClosed => Self::AccountClosed,
            E::Unauthorized => Self::Unauthorized,
            E::OrderNotFound { order_id } => Self::OrderNotFound { order_id },
            E::OrderNotAvailable { order_id, reason } => Self::OrderNotAvailable {
                order_id,
                reason: reason.into(),
            },
            E::NotInJob { order_id } => Self::NotInJob { order_id },
            E::ThirdPartyConfirmationRequired => Self::ThirdPartyConfirmationRequired,
            E::InvalidTransition {
                order_id,
                action,
                status,
            } => Self::InvalidTransition {
                order_id,
                action,
                status: status.into(),
            },
            E::ConsentRequired { purpose } => Self::ConsentRequired { purpose },
            E::PermissionRequired {
                purpose,
                permission,
            } => Self::PermissionRequired {
                purpose,
                permission,
            },
            E::GuardianConsentRequired => Self::GuardianConsentRequired,
            E::ServiceStopped { at } => Self::ServiceStopped { at: at.into() },
            E::InvalidManifest { reason } => Self::InvalidManifest { reason },
            E::LedgerTampered { seq } => Self::LedgerTampered { seq },
            E::Shutdown => Self::Shutdown,
            E::Cancelled => Self::Cancelled,
            E::Internal { reason } => Self::Internal { reason },
        }
    }
}
