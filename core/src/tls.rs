//! Optional certificate pinning configured by the app, on top of normal verification: the
//! server's chain must first verify against the bundled Mozilla roots (webpki-roots), then
//! a *verified path* from the leaf to a root must hold a key that hashes to one of the
//! pins (the leaf, an intermediate on that path, or its root). Certificates the server
//! merely sent along count for nothing: anyone can append a site's real, public pinned
//! certificate to a chain of their own. Pins are OkHttp's and HPKP's format, `base64(SHA-256(SPKI))`, so the same
//! strings work in an app's `network_security_config` and here. Pin the key, not the
//! certificate: renewals with the same key keep working; ship a backup pin for rotation.

use std::sync::Arc;

use rustls::client::WebPkiServerVerifier;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{DigitallySignedStruct, RootCertStore, SignatureScheme};
use sha2::{Digest, Sha256};

pub use crate::pins::{Pin, parse_pins};

/// The pin of a DER certificate, if it parses.
pub fn spki_pin(cert: &CertificateDer<'_>) -> Option<Pin> {
    let parsed = webpki::EndEntityCert::try_from(cert).ok()?;
    Some(Sha256::digest(parsed.subject_public_key_info().as_ref()).into())
}

/// Verifies as usual, then requires a pinned key on a verified path.
#[derive(Debug)]
pub struct PinnedVerifier {
    inner: Arc<WebPkiServerVerifier>,
    roots: Arc<RootCertStore>,
    pins: Vec<Pin>,
}

impl PinnedVerifier {
    /// Verification against `roots`, then `pins`.
    pub fn new(roots: RootCertStore, pins: Vec<Pin>) -> Result<PinnedVerifier, String> {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let roots = Arc::new(roots);
        let inner = WebPkiServerVerifier::builder_with_provider(Arc::clone(&roots), provider)
            .build()
            .map_err(|e| e.to_string())?;
        Ok(PinnedVerifier { inner, roots, pins })
    }

    fn pinned(&self, spki: &[u8]) -> bool {
        let pin: Pin = Sha256::digest(spki).into();
        self.pins.contains(&pin)
    }

    /// Whether some path from `end_entity` through `intermediates` to a root verifies
    /// and holds a pinned key. webpki calls the check on each path it verifies and goes
    /// on searching when it says no, so a pinned intermediate on another valid path is
    /// found, and one that no valid path uses is never counted.
    fn on_a_pinned_path(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        now: UnixTime,
    ) -> bool {
        let Ok(leaf) = webpki::EndEntityCert::try_from(end_entity) else {
            return false;
        };
        let check = |path: &webpki::VerifiedPath<'_>| {
            let on_path = self.pinned(path.end_entity().subject_public_key_info().as_ref())
                || path
                    .intermediate_certificates()
                    .any(|c| self.pinned(c.subject_public_key_info().as_ref()))
                || self.pinned(webpki::spki_for_anchor(path.anchor()).as_ref());
            if on_path {
                Ok(())
            } else {
                Err(webpki::Error::UnknownIssuer)
            }
        };
        leaf.verify_for_usage(
            webpki::ALL_VERIFICATION_ALGS,
            &self.roots.roots,
            intermediates,
            now,
            webpki::KeyUsage::server_auth(),
            None,
            Some(&check),
        )
        .is_ok()
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
        // A pin never replaces verification: an untrusted or expired chain, or a wrong
        // name, fails first.
        let verified = self.inner.verify_server_cert(
            end_entity,
            intermediates,
            server_name,
            ocsp_response,
            now,
        )?;
        if self.on_a_pinned_path(end_entity, intermediates, now) {
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
            parse_pins(&[{
                use base64::Engine as _;
                base64::engine::general_purpose::STANDARD.encode([0u8; 20])
            }])
            .is_err(),
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
            verify(&verifier("ca", vec![ca])).is_ok(),
            "the root is on the verified path: pinning it is allowed (as OkHttp does)"
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

    /// A TLS server on loopback presenting `chain` (leaf first) with `key`; serves one
    /// handshake and answers "ok".
    fn tls_server(chain: &[&str], key: &str) -> std::net::SocketAddr {
        use std::io::Write;
        let pinning = |name: &str| format!("pinning/{name}");
        let chain: Vec<CertificateDer<'static>> = chain.iter().map(|c| der(&pinning(c))).collect();
        let key_path = format!(
            "{}/tests/data/tls/pinning/{key}",
            env!("CARGO_MANIFEST_DIR")
        );
        let key = rustls::pki_types::PrivateKeyDer::Pkcs8(std::fs::read(key_path).unwrap().into());
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let config = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_no_client_auth()
            .with_single_cert(chain, key)
            .unwrap();
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        std::thread::spawn(move || {
            let (tcp, _) = listener.accept().unwrap();
            let conn = rustls::ServerConnection::new(Arc::new(config)).unwrap();
            let mut tls = rustls::StreamOwned::new(conn, tcp);
            let _ = tls.write_all(b"ok");
            tls.conn.send_close_notify();
            let _ = tls.flush();
        });
        addr
    }

    /// A real handshake with the pinned verifier (roots: both test CAs, as two publicly
    /// trusted CAs would be; pin: the site's leaf key). Returns what the server said.
    fn handshake(addr: std::net::SocketAddr) -> std::io::Result<String> {
        use std::io::Read;
        let mut roots = RootCertStore::empty();
        roots.add(der("pinning/site-ca")).unwrap();
        roots.add(der("pinning/evil-ca")).unwrap();
        let pin = spki_pin(&der("pinning/site-leaf")).unwrap();
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let config = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .unwrap()
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(
                PinnedVerifier::new(roots, vec![pin]).unwrap(),
            ))
            .with_no_client_auth();
        let name = ServerName::try_from("localhost").unwrap();
        let conn = rustls::ClientConnection::new(Arc::new(config), name).unwrap();
        let mut tls = rustls::StreamOwned::new(conn, std::net::TcpStream::connect(addr)?);
        let mut said = String::new();
        tls.read_to_string(&mut said)?;
        Ok(said)
    }

    #[test]
    fn a_pinned_certificate_appended_to_another_chain_does_not_pass_a_real_handshake() {
        // The site itself: its own chain holds the pinned key.
        let genuine = handshake(tls_server(&["site-leaf"], "site-leaf.key.der"));
        assert_eq!(genuine.unwrap(), "ok");
        // An attacker with a trusted certificate for the host of its own appends the
        // site's real (public) leaf. Before, any presented certificate counted.
        let attack = handshake(tls_server(&["evil-leaf", "site-leaf"], "evil-leaf.key.der"));
        let err = attack.expect_err("the appended pinned certificate is not on the verified path");
        assert!(
            err.to_string().contains("ApplicationVerificationFailure"),
            "{err}"
        );
        // The attacker's chain without the extra certificate fails the same way.
        assert!(handshake(tls_server(&["evil-leaf"], "evil-leaf.key.der")).is_err());
    }

    #[test]
    fn reqwest_takes_the_pinned_configuration() {
        // reqwest refuses a preconfigured TLS of another rustls version at build time.
        let transport = crate::net::reqwest_transport::ReqwestTransport::new(
            parse_pins(&["0/UGzuqJK34+kmr4h4WOrZIm3WmaSuQCPAmwBrYoLvE=".into()]).unwrap(),
        );
        assert!(transport.is_ok());
    }

    #[test]
    fn the_pinned_configuration_keeps_tls_1_2_as_the_floor() {
        let config = client_config(vec![[1u8; 32]]).unwrap();
        assert_eq!(config.alpn_protocols, vec![b"http/1.1".to_vec()]);
        assert!(!config.crypto_provider().cipher_suites.is_empty());
    }
}
