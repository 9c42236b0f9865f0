//! Certificate pins as the app configures them (`Config.pinned_keys`): OkHttp's and HPKP's
//! format, so the same strings work in an app's `network_security_config`. The built-in
//! transport enforces them (`tls.rs`); with the app's HTTP stack, the app pins there.

/// A pin: SHA-256 of a certificate's SubjectPublicKeyInfo (OkHttp's and HPKP's format).
pub type Pin = [u8; 32];

/// Parses pins given as base64 (an optional `sha256/` prefix is accepted).
pub fn parse_pins(pins: &[String]) -> std::result::Result<Vec<Pin>, String> {
    use base64::Engine as _;
    pins.iter()
        .map(|p| {
            let text = p.trim().trim_start_matches("sha256/");
            base64::engine::general_purpose::STANDARD
                .decode(text)
                .ok()
                .and_then(|b| Pin::try_from(b.as_slice()).ok())
                .ok_or_else(|| format!("pin {p:?} is not base64 of a 32-byte SHA-256"))
        })
        .collect()
}
