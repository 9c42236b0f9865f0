//! Wire types of the person's account: sign-in by phone number and one-time code, the
//! devices signed in to the account, sign-out, and step-up codes for the requests that
//! need a fresh proof of the person (export, deletion, correction, cancellation).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// How long a one-time code is good for, seconds.
pub const CODE_LIFETIME_S: u32 = 300;
/// Wrong guesses a code takes before it is burnt.
pub const CODE_ATTEMPTS: u32 = 5;
/// Seconds between two codes for one number to one installation.
pub const CODE_RESEND_S: u32 = 30;
/// Codes per number per hour.
pub const CODES_PER_NUMBER_HOUR: u32 = 5;
/// Codes per installation per hour (whatever the numbers).
pub const CODES_PER_INSTALLATION_HOUR: u32 = 10;
/// Digits of a code.
pub const CODE_DIGITS: usize = 6;

/// `POST /v1/sign-in/codes`: sends a one-time code to `phone` for this installation. The
/// reply is the same whether or not the number has an account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CodeRequest {
    /// The number, E.164 (`+` and 8..=15 digits); [`normalize_phone`] makes it from what a
    /// person types.
    #[cfg_attr(
        feature = "openapi",
        schema(min_length = 9, max_length = 16, pattern = r"^\+[1-9][0-9]{7,14}$")
    )]
    pub phone: String,
    /// The installation that will use the code: a code is good only for it.
    #[cfg_attr(
        feature = "openapi",
        schema(max_length = 128, min_length = 1, pattern = "^[A-Za-z0-9._:-]{1,128}$")
    )]
    pub installation_id: String,
}

/// Reply to a code request (sign-in or step-up).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CodeSent {
    /// Where it went, masked ([`mask_phone`]).
    pub phone_masked: String,
    /// Seconds the code is good for.
    pub expires_in_s: u32,
    /// Seconds before another code may be asked for this number.
    pub resend_after_s: u32,
}

/// A phone number and the code sent to it, in a registration.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PhoneCode {
    /// The number the code went to, E.164.
    #[cfg_attr(
        feature = "openapi",
        schema(min_length = 9, max_length = 16, pattern = r"^\+[1-9][0-9]{7,14}$")
    )]
    pub phone: String,
    /// The code, [`CODE_DIGITS`] digits.
    #[cfg_attr(
        feature = "openapi",
        schema(min_length = 6, max_length = 6, pattern = "^[0-9]{6}$")
    )]
    pub code: String,
}

/// What the person declared about their age before signing up (the account's first
/// collection). Undeclared never counts as adult: the server opens no account without it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum AgeDeclaration {
    /// At or above the policy's minimum age.
    Adult,
    /// Below it, with a guardian's consent recorded on the device.
    MinorWithGuardianConsent,
}

/// `POST /v1/account/age`: the age the person declared after signing up. A minor without
/// a guardian's consent may have no account (seed 002: "否则不能创建自己的用户账户"): the
/// server closes it and deletes its data as a closing does (P-66).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AgeUpdate {
    /// Under the policy's minimum age.
    pub minor: bool,
    /// A guardian's consent is recorded on the device.
    pub guardian_consent: bool,
}

/// `POST /v1/account/age` reply.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AgeRecorded {
    /// The account was closed and its data deleted (a minor without a guardian).
    pub account_closed: bool,
}

/// How the account stands, as the server knows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum AccountStatus {
    /// In use.
    Active,
    /// Suspended by the operator: every request is refused `account_suspended`; nothing
    /// is deleted.
    Suspended,
}

/// One device signed in to the account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DeviceSession {
    /// The server's id of this sign-in (not the installation id, which stays on the device).
    pub id: String,
    /// The app it runs.
    pub app_id: String,
    /// Its version.
    pub app_version: String,
    /// When this device first signed in to the account.
    pub signed_in_at: DateTime<Utc>,
    /// When it last renewed its token.
    pub renewed_at: DateTime<Utc>,
    /// True for the device asking.
    pub current: bool,
}

/// `GET /v1/account` reply: the account and its devices.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AccountInfo {
    /// Account id.
    pub account_id: String,
    /// Its number, masked.
    pub phone_masked: String,
    /// How it stands.
    pub status: AccountStatus,
    /// Devices signed in, oldest first.
    pub devices: Vec<DeviceSession>,
}

/// `POST /v1/account/sign-out`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SignOut {
    /// Every device of the account (this one included), not only this one.
    pub everywhere: bool,
}

/// E.164 form of a number as a person types it: full-width digits and the usual
/// separators (spaces, `-`, `.`, `(`, `)`) are accepted, a leading `00` is read as `+`;
/// `None` unless it is `+` and 8..=15 digits, the first not 0.
pub fn normalize_phone(typed: &str) -> Option<String> {
    let mut digits = String::new();
    let mut plus = false;
    for (i, c) in typed.trim().chars().enumerate() {
        let c = match c {
            '\u{FF10}'..='\u{FF19}' => char::from(b'0' + (c as u32 - 0xFF10) as u8),
            '\u{FF0B}' => '+',
            c => c,
        };
        match c {
            '+' if i == 0 => plus = true,
            '0'..='9' => digits.push(c),
            ' ' | '-' | '.' | '(' | ')' | '\u{3000}' => {}
            _ => return None,
        }
    }
    if !plus {
        digits = digits.strip_prefix("00")?.to_string();
    }
    let ok = (8..=15).contains(&digits.len()) && !digits.starts_with('0');
    ok.then(|| format!("+{digits}"))
}

/// Largest image of a real-name check (ID card photo or face image), bytes: a phone's
/// document photo stays well below.
pub const REAL_NAME_MAX_IMAGE_BYTES: usize = 4 * 1024 * 1024;
/// How recent a delivery keeps real-name data from being deleted (seed 000: "Delete after
/// verifying whether there is a delivery record within 7 days"), days.
pub const REAL_NAME_DELIVERY_HOLD_DAYS: i64 = 7;

/// `POST /v1/account/real-name`: the two images of a real-name check, base64 (standard
/// alphabet, padded). Retrying the same `verification_id` returns the first outcome
/// without checking again.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RealNameSubmission {
    /// Id the device made for this check (its idempotency key).
    #[cfg_attr(
        feature = "openapi",
        schema(max_length = 128, min_length = 1, pattern = "^[A-Za-z0-9._:-]{1,128}$")
    )]
    pub verification_id: String,
    /// The ID card photo (JPEG or PNG, stripped of metadata), base64.
    pub id_card: String,
    /// The face image (JPEG or PNG, stripped of metadata), base64.
    pub face: String,
}

/// Where an account's real-name check stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum RealNameOutcome {
    /// Never checked, or its record was deleted.
    Unverified,
    /// The check passed.
    Verified,
    /// The check failed (the images did not match or could not be read).
    Rejected,
}

/// `GET`/`POST /v1/account/real-name` reply: the outcome and when it was decided. The
/// server keeps neither image: they go to the verifier and are dropped.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RealNameStatus {
    /// The outcome.
    pub outcome: RealNameOutcome,
    /// When it was decided (absent while unverified).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub checked_at: Option<DateTime<Utc>>,
    /// Why a check was rejected, in words without personal data.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// A number as it may be shown: the country part's first digits and the last two, the
/// rest starred (`+8613800138000` → `+86*********00`).
pub fn mask_phone(e164: &str) -> String {
    let digits: Vec<char> = e164.trim_start_matches('+').chars().collect();
    let shown_head = 2.min(digits.len());
    let shown_tail = 2.min(digits.len().saturating_sub(shown_head));
    let stars = digits.len() - shown_head - shown_tail;
    let mut out = String::from("+");
    out.extend(&digits[..shown_head]);
    out.extend(std::iter::repeat_n('*', stars));
    out.extend(&digits[digits.len() - shown_tail..]);
    out
}

/// Whether `code` has the shape of a one-time code.
pub fn is_code(code: &str) -> bool {
    code.len() == CODE_DIGITS && code.bytes().all(|b| b.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_read_as_people_type_them_and_only_e164_passes() {
        for typed in [
            "+86 138 0013 8000",
            "+86-138-0013-8000",
            "0086 (138) 0013.8000",
            "＋８６１３８００１３８０００",
            "+86\u{3000}13800138000",
        ] {
            assert_eq!(
                normalize_phone(typed).as_deref(),
                Some("+8613800138000"),
                "{typed}"
            );
        }
        for bad in [
            "13800138000",
            "+0123456789",
            "+1234567",
            "+1234567890123456",
            "+86 138x",
            "++8613800138000",
            "",
        ] {
            assert_eq!(normalize_phone(bad), None, "{bad}");
        }
    }

    #[test]
    fn a_masked_number_keeps_two_digits_at_each_end() {
        assert_eq!(mask_phone("+8613800138000"), "+86*********00");
        assert_eq!(mask_phone("+4915112345678"), "+49*********78");
        assert!(!mask_phone("+8613800138000").contains("138001"));
    }
}
