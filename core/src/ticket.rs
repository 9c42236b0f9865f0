//! The proof that the gate passed. A leaf module, so the HTTP client and every engine can
//! take one without depending on the privacy engine that issues it.

/// Proof that the gate found a live basis for a purpose at the time it was issued. Only
/// the gate (`privacy::gate`) makes one (`scripts/check-layering.sh` checks it); functions
/// that store or send personal data take one, so a path that skips the gate does not
/// compile.
#[derive(Debug)]
pub struct Ticket {
    purpose: String,
}

impl Ticket {
    /// Issued by the gate only.
    pub(crate) fn issue(purpose: &str) -> Ticket {
        Ticket {
            purpose: purpose.to_string(),
        }
    }

    /// The purpose the basis is for.
    pub fn purpose(&self) -> &str {
        &self.purpose
    }
}
