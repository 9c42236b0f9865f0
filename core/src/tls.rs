//! Optional certificate pinning configured by the app, on top of normal verification: the
//! server's chain must first verify against the bundled Mozilla roots (webpki-roots), then
//! the SubjectPublicKeyInfo of its leaf or of an intermediate it sent must hash to one of
//! the pins. Pins are OkHttp's and HPKP's format, `base64(SHA-256(SPKI))`, so the same
//! strings work in an app's `network_security_config` and here. Pin the key, not the
//! certificate: renewals with the same key keep working; ship a backup pin for rotation.

use std::sync::Arc;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use rustls::client::WebPkiServerVerifier;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{DigitallySignedStruct, RootCertStore, SignatureScheme};
use sha2::{Digest, Sha256};

/// A pin: SHA-256 of a certificate's SubjectPublicKeyInfo.
pub type Pin = [u8; 32];

/// Parses pins given as base64 (an optional `sha256/` prefix is accepted).
pub fn parse_pins(pins: &[String]) -> Result<Vec<Pin>, String> {
    pins.iter()
        .map(|p| {
            let text = p.trim().trim_start_matches("sha256/");
            BASE64
                .decode(text)
                .ok()
                .and_then(|b| Pin::try_from(b.as_slice()).ok())
                .ok_or_else(|| format!("pin {p:?} is not base64 of a 32-byte SHA-256"))
        })
        .collect()
}

/// The pin of a DER certificate, if it parses.
pub fn spki_pin(cert: &CertificateDer<'_>) -> Option<Pin> {
    let parsed = webpki::EndEntityCert::try_from(cert).ok()?;
    Some(Sha256::digest(parsed.subject_public_key_info().as_ref()).into())
}

/// Verifies as usual, then requires a pinned key in the presented chain.
#[derive(Debug)]
pub struct PinnedVerifier {
    inner: Arc<WebPkiServerVerifier>,
    pins: Vec<Pin>,
}

impl PinnedVerifier {
    /// Verification against `roots`, then `pins`.
    pub fn new(roots: RootCertStore, pins: Vec<Pin>) -> Result<PinnedVerifier, String> {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let inner = WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider)
            .build()
            .map_err(|e| e.to_string())?;
        Ok(PinnedVerifier { inner, pins })
    }
}

impl ServerCertVerifier for PinnedVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        // A pin never replaces verification: an untrusted or expired chain fails first.
        let verified = self.inner.verify_server_cert(
            end_entity,
            intermediates,
            server_name,
            ocsp_response,
            now,
        )?;
        let pinned = std::iter::once(end_entity)
            .chain(intermediates)
            .filter_map(spki_pin)
            .any(|pin| self.pins.contains(&pin));
        if pinned {
            Ok(verified)
        } else {
            Err(rustls::Error::InvalidCertificate(
                rustls::CertificateError::ApplicationVerificationFailure,
            ))
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.inner.supported_verify_schemes()
    }
}

/// The client's whole TLS policy, handed to reqwest (`use_preconfigured_tls`): Mozilla's
/// roots, TLS 1.2 and 1.3 only, ring as the provider, HTTP/1.1 (the client speaks nothing
/// else), and the pins if any. Built here and only here: `webpki_roots::TLS_SERVER_ROOTS`
/// is a `const`, so every crate that names it links its own copy of the roots (53 KB);
/// reqwest is built with `rustls-tls-manual-roots` and never names it.
pub fn client_config(pins: Vec<Pin>) -> Result<rustls::ClientConfig, String> {
    let roots = RootCertStore {
        roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
    };
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = rustls::ClientConfig::builder_with_provider(provider)
        .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])
        .map_err(|e| e.to_string())?;
    let mut config = if pins.is_empty() {
        builder.with_root_certificates(roots).with_no_client_auth()
    } else {
        builder
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(PinnedVerifier::new(roots, pins)?))
            .with_no_client_auth()
    };
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(config)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn der(name: &str) -> CertificateDer<'static> {
        let path = format!("{}/tests/data/tls/{name}.der", env!("CARGO_MANIFEST_DIR"));
        CertificateDer::from(std::fs::read(path).unwrap())
    }

    /// Trusts the test CA only (the leaf is for `localhost` and 127.0.0.1, made with openssl).
    fn verifier(trusted: &str, pins: Vec<Pin>) -> PinnedVerifier {
        let mut roots = RootCertStore::empty();
        roots.add(der(trusted)).unwrap();
        PinnedVerifier::new(roots, pins).unwrap()
    }

    fn verify(v: &PinnedVerifier) -> Result<ServerCertVerified, rustls::Error> {
        v.verify_server_cert(
            &der("leaf"),
            &[],
            &ServerName::try_from("localhost").unwrap(),
            &[],
            UnixTime::now(),
        )
    }

    #[test]
    fn the_pin_format_is_okhttps_and_matches_openssl() {
        // openssl x509 -pubkey | openssl pkey -pubin -outform der | openssl dgst -sha256 -binary | base64
        let from_openssl = "sha256/0/UGzuqJK34+kmr4h4WOrZIm3WmaSuQCPAmwBrYoLvE=".to_string();
        assert_eq!(
            parse_pins(&[from_openssl]).unwrap(),
            vec![spki_pin(&der("leaf")).unwrap()]
        );
        assert!(parse_pins(&["not a pin".into()]).is_err());
        assert!(
            parse_pins(&[BASE64.encode([0u8; 20])]).is_err(),
            "SHA-1 length"
        );
    }

    #[test]
    fn a_pinned_key_passes_another_fails_and_a_pin_never_replaces_verification() {
        let leaf = spki_pin(&der("leaf")).unwrap();
        let ca = spki_pin(&der("ca")).unwrap();
        assert!(verify(&verifier("ca", vec![leaf])).is_ok());
        assert!(
            verify(&verifier("ca", vec![[9u8; 32], leaf])).is_ok(),
            "a backup pin"
        );
        assert!(
            matches!(
                verify(&verifier("ca", vec![ca])),
                Err(rustls::Error::InvalidCertificate(
                    rustls::CertificateError::ApplicationVerificationFailure
                ))
            ),
            "the root was not presented: only the leaf's and intermediates' keys count"
        );
        assert!(
            verify(&verifier("other-ca", vec![leaf])).is_err(),
            "untrusted chain"
        );
        let wrong_name = verifier("ca", vec![leaf]).verify_server_cert(
            &der("leaf"),
            &[],
            &ServerName::try_from("api.example.com").unwrap(),
            &[],
            UnixTime::now(),
        );
        assert!(wrong_name.is_err());
    }

    #[test]
    fn reqwest_takes_the_pinned_configuration() {
        // reqwest refuses a preconfigured TLS of another rustls version at build time.
        let client = crate::net::ApiClient::new(
            "https://api.example.com".into(),
            "test",
            parse_pins(&["0/UGzuqJK34+kmr4h4WOrZIm3WmaSuQCPAmwBrYoLvE=".into()]).unwrap(),
        );
        assert!(client.is_ok());
    }

    #[test]
    fn the_pinned_configuration_keeps_tls_1_2_as_the_floor() {
        let config = client_config(vec![[1u8; 32]]).unwrap();
        assert_eq!(config.alpn_protocols, vec![b"http/1.1".to_vec()]);
        assert!(!config.crypto_provider().cipher_suites.is_empty());
    }
}
