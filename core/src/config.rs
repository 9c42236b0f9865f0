//! What the shell tells the core when it opens it.

use std::path::PathBuf;

use waybill_protocol::Role;

use crate::error::{Error, Result};

/// Configuration of one [`crate::Waybill`] client.
#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    /// App-private directory that holds the database (and later the proof files).
    pub data_dir: PathBuf,
    /// Base URL of the sync server, e.g. `https://api.example.com`. Cleartext `http://`
    /// is accepted only for a loopback host (`127.0.0.0/8`, `::1`, `localhost`): a
    /// development server on the machine itself, never the network.
    pub server_url: String,
    /// Application id, e.g. `com.example.waybill.driver`.
    pub app_id: String,
    /// Application version string.
    pub app_version: String,
    /// Which app this is.
    pub role: Role,
    /// Optional certificate pinning: `base64(SHA-256(SubjectPublicKeyInfo))` of keys the
    /// server's leaf or intermediate certificate must carry (OkHttp's `sha256/…` format;
    /// give a backup pin). Empty: the bundled Mozilla roots alone decide. See `tls.rs`.
    pub pinned_keys: Vec<String>,
    /// The controller's Ed25519 control key (standard base64 of its 32 bytes): service
    /// notices (P-69, P-70) are shown only when they verify with it. `None`: the app
    /// believes no notice (a release build sets it; `waybill-server` prints its own).
    pub control_key: Option<String>,
}

impl Config {
    /// Checks the configuration and returns the server URL without a trailing slash.
    pub(crate) fn validated_server_url(&self) -> Result<String> {
        let url = self.server_url.trim().trim_end_matches('/');
        let rest = url
            .strip_prefix("https://")
            .or_else(|| url.strip_prefix("http://"))
            .ok_or_else(|| invalid("server_url must start with http:// or https://"))?;
        if rest.is_empty() || rest.contains(char::is_whitespace) {
            return Err(invalid("server_url has no valid host"));
        }
        let parsed = crate::origin::Origin::of(url)
            .ok_or_else(|| invalid("server_url has no valid host"))?;
        if parsed.scheme == "http" && !parsed.is_loopback() {
            return Err(invalid(
                "server_url must use https:// (cleartext http:// is for a loopback development \
                 server only)",
            ));
        }
        if self.app_id.trim().is_empty() || self.app_version.trim().is_empty() {
            return Err(invalid("app_id and app_version must not be empty"));
        }
        if self.data_dir.as_os_str().is_empty() {
            return Err(invalid("data_dir must not be empty"));
        }
        if !self.pinned_keys.is_empty() && parsed.scheme != "https" {
            return Err(invalid("pinned_keys need an https:// server_url"));
        }
        crate::pins::parse_pins(&self.pinned_keys).map_err(|e| invalid(&e))?;
        self.control_key_bytes()?;
        Ok(url.to_string())
    }
}

impl Config {
    /// The control key's 32 bytes, if one is configured (`InvalidConfig` when malformed).
    pub(crate) fn control_key_bytes(&self) -> Result<Option<[u8; 32]>> {
        use base64::Engine as _;
        let Some(key) = &self.control_key else {
            return Ok(None);
        };
        base64::engine::general_purpose::STANDARD
            .decode(key.trim())
            .ok()
            .and_then(|b| <[u8; 32]>::try_from(b).ok())
            .map(Some)
            .ok_or_else(|| invalid("control_key must be 32 bytes in standard base64"))
    }
}

fn invalid(reason: &str) -> Error {
    Error::InvalidConfig {
        reason: reason.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(url: &str) -> Config {
        Config {
            data_dir: "/tmp/x".into(),
            server_url: url.into(),
            app_id: "app".into(),
            app_version: "1".into(),
            role: Role::Driver,
            pinned_keys: vec![],
            control_key: None,
        }
    }

    #[test]
    fn trailing_slash_is_dropped() {
        assert_eq!(
            config("http://127.0.0.1:9/")
                .validated_server_url()
                .unwrap(),
            "http://127.0.0.1:9"
        );
    }

    #[test]
    fn cleartext_goes_to_loopback_only() {
        for ok in [
            "https://api.example.com",
            "http://127.0.0.1:8080",
            "http://127.1.2.3",
            "http://localhost:9",
            "http://[::1]:8080",
        ] {
            assert!(config(ok).validated_server_url().is_ok(), "{ok}");
        }
        for bad in [
            "http://api.example.com",
            "http://10.0.2.2:8080",
            "http://127.0.0.1.evil.example",
            "http://localhost.evil.example",
            "http://[::2]",
        ] {
            assert!(
                matches!(
                    config(bad).validated_server_url(),
                    Err(Error::InvalidConfig { .. })
                ),
                "{bad}"
            );
        }
    }

    #[test]
    fn pins_must_be_sha256_in_base64_and_need_https() {
        let pinned = |url: &str, pin: &str| Config {
            pinned_keys: vec![pin.into()],
            control_key: None,
            ..config(url)
        };
        let good = "sha256/0/UGzuqJK34+kmr4h4WOrZIm3WmaSuQCPAmwBrYoLvE=";
        assert!(
            pinned("https://api.example.com", good)
                .validated_server_url()
                .is_ok()
        );
        for (url, pin) in [
            ("https://api.example.com", "sha1/abc"),
            ("https://api.example.com", ""),
            ("http://127.0.0.1:8080", good),
        ] {
            assert!(
                matches!(
                    pinned(url, pin).validated_server_url(),
                    Err(Error::InvalidConfig { .. })
                ),
                "{url} {pin}"
            );
        }
    }

    #[test]
    fn non_http_urls_are_rejected() {
        for bad in ["ftp://x", "127.0.0.1:80", "http://", "https://a b"] {
            assert!(matches!(
                config(bad).validated_server_url(),
                Err(Error::InvalidConfig { .. })
            ));
        }
    }
}
