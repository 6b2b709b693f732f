//! TLS settings for both directions: [`ServerTls`] for [`serve_with`](crate::serve_with),
//! [`ClientTls`] for [`post_with`](crate::post_with).
//!
//! Every config carries its own ring provider, so no process-wide default has to be
//! installed and nothing depends on which crate did so first.

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::{ResolvesClientCert, WebPkiServerVerifier};
use rustls::crypto::{CryptoProvider, verify_tls12_signature, verify_tls13_signature};
use rustls::pki_types::pem::{self, PemObject};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer, ServerName, UnixTime};
use rustls::server::WebPkiClientVerifier;
use rustls::sign::CertifiedKey;
use rustls::{ClientConfig, DigitallySignedStruct, RootCertStore, ServerConfig, SignatureScheme};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Why TLS settings could not be made. Each message names the file or input at fault.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    #[error("cannot read {}: {source}", path.display())]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{what} is not well-formed PEM: {detail}")]
    Pem { what: String, detail: String },
    #[error("no certificate (-----BEGIN CERTIFICATE-----) found in {what}")]
    NoCertificate { what: String },
    #[error(
        "no private key (-----BEGIN PRIVATE KEY-----, RSA PRIVATE KEY or EC PRIVATE KEY) \
         found in {what}"
    )]
    NoKey { what: String },
    #[error("{context}: {source}")]
    Rustls {
        context: String,
        source: rustls::Error,
    },
    #[error("cannot generate a self-signed certificate: {0}")]
    Generate(#[from] rcgen::Error),
    #[error("{what} cannot verify client certificates: {detail}")]
    ClientVerifier { what: String, detail: String },
}

fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

fn rustls_err(context: impl Into<String>) -> impl FnOnce(rustls::Error) -> TlsError {
    let context = context.into();
    move |source| TlsError::Rustls { context, source }
}

fn read(path: &Path) -> Result<Vec<u8>, TlsError> {
    std::fs::read(path).map_err(|source| TlsError::Read {
        path: path.to_owned(),
        source,
    })
}

fn certs_in(pem: &[u8], what: &str) -> Result<Vec<CertificateDer<'static>>, TlsError> {
    let certs = CertificateDer::pem_slice_iter(pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| TlsError::Pem {
            what: what.to_owned(),
            detail: e.to_string(),
        })?;
    if certs.is_empty() {
        return Err(TlsError::NoCertificate {
            what: what.to_owned(),
        });
    }
    Ok(certs)
}

fn key_in(pem: &[u8], what: &str) -> Result<PrivateKeyDer<'static>, TlsError> {
    PrivateKeyDer::from_pem_slice(pem).map_err(|e| match e {
        pem::Error::NoItemsFound => TlsError::NoKey {
            what: what.to_owned(),
        },
        e => TlsError::Pem {
            what: what.to_owned(),
            detail: e.to_string(),
        },
    })
}

/// A certificate's subject as RFC 4514 text (`CN=device-1, O=Lab`), what a transcript
/// names a TLS-authenticated peer by; `None` for a certificate that does not parse.
pub fn subject_of(cert: &CertificateDer<'_>) -> Option<String> {
    x509_parser::parse_x509_certificate(cert.as_ref())
        .ok()
        .map(|(_, c)| c.subject().to_string())
}

/// Trust anchors from a PEM file's certificates.
fn roots_in(pem: &[u8], what: &str) -> Result<RootCertStore, TlsError> {
    let mut roots = RootCertStore::empty();
    for (i, cert) in certs_in(pem, what)?.into_iter().enumerate() {
        roots.add(cert).map_err(rustls_err(format!(
            "certificate {} in {what} cannot be used as a trust anchor",
            i + 1
        )))?;
    }
    Ok(roots)
}

/// DER certificates back to PEM, 64 columns as RFC 7468 asks.
fn to_pem(certs: &[CertificateDer<'_>]) -> String {
    use base64::Engine as _;
    let mut out = String::new();
    for c in certs {
        let b64 = base64::engine::general_purpose::STANDARD.encode(c.as_ref());
        out.push_str("-----BEGIN CERTIFICATE-----\n");
        for line in b64.as_bytes().chunks(64) {
            out.push_str(&String::from_utf8_lossy(line));
            out.push('\n');
        }
        out.push_str("-----END CERTIFICATE-----\n");
    }
    out
}

/// The harness's identity as an HTTPS server, and whether it requires client
/// certificates.
#[derive(Clone)]
pub struct ServerTls {
    config: Arc<ServerConfig>,
    cert_pem: String,
    certs: Vec<CertificateDer<'static>>,
    key: Arc<PrivateKeyDer<'static>>,
    requires_client_cert: bool,
}

impl std::fmt::Debug for ServerTls {
    // The config holds the private key: show nothing of it.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServerTls").finish_non_exhaustive()
    }
}

impl ServerTls {
    /// A certificate chain (leaf first) and its private key (PKCS#8, PKCS#1 or SEC1), both
    /// PEM. The two may be the same file.
    pub fn from_pem_files(cert: impl AsRef<Path>, key: impl AsRef<Path>) -> Result<Self, TlsError> {
        let (cert, key) = (cert.as_ref(), key.as_ref());
        let certs = certs_in(&read(cert)?, &cert.display().to_string())?;
        let key_der = key_in(&read(key)?, &key.display().to_string())?;
        Self::build(
            certs,
            key_der,
            &format!(
                "{} and {} do not make a usable TLS server identity",
                cert.display(),
                key.display()
            ),
        )
    }

    /// As [`from_pem_files`](Self::from_pem_files), from PEM text in memory.
    pub fn from_pem(cert_pem: &[u8], key_pem: &[u8]) -> Result<Self, TlsError> {
        let certs = certs_in(cert_pem, "the server certificate PEM")?;
        let key = key_in(key_pem, "the server key PEM")?;
        Self::build(
            certs,
            key,
            "the certificate and key do not make a usable TLS server identity",
        )
    }

    /// A fresh self-signed certificate (ECDSA P-256) for `names`; an entry that parses as
    /// an IP address becomes an IP subject alt name, any other a DNS name. The first name
    /// is also the subject CN, for older clients that match on it.
    pub fn generate(names: &[&str]) -> Result<Self, TlsError> {
        let owned: Vec<String> = names.iter().map(|n| (*n).to_owned()).collect();
        let mut params = rcgen::CertificateParams::new(owned)?;
        let mut dn = rcgen::DistinguishedName::new();
        dn.push(
            rcgen::DnType::CommonName,
            names.first().copied().unwrap_or("dmct"),
        );
        dn.push(rcgen::DnType::OrganizationName, "dmct self-signed");
        params.distinguished_name = dn;
        let signing_key = rcgen::KeyPair::generate()?;
        let cert = params.self_signed(&signing_key)?;
        let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(signing_key.serialize_der()));
        Self::build(
            vec![cert.der().clone()],
            key,
            "the generated certificate was refused",
        )
    }

    fn build(
        certs: Vec<CertificateDer<'static>>,
        key: PrivateKeyDer<'static>,
        context: &str,
    ) -> Result<Self, TlsError> {
        let config = Self::config_for(&certs, &key, None, context)?;
        Ok(ServerTls {
            config,
            cert_pem: to_pem(&certs),
            certs,
            key: Arc::new(key),
            requires_client_cert: false,
        })
    }

    fn config_for(
        certs: &[CertificateDer<'static>],
        key: &PrivateKeyDer<'static>,
        clients: Option<Arc<dyn rustls::server::danger::ClientCertVerifier>>,
        context: &str,
    ) -> Result<Arc<ServerConfig>, TlsError> {
        let builder = ServerConfig::builder_with_provider(provider())
            .with_safe_default_protocol_versions()
            .map_err(rustls_err(context))?;
        let builder = match clients {
            Some(v) => builder.with_client_cert_verifier(v),
            None => builder.with_no_client_auth(),
        };
        let mut config = builder
            .with_single_cert(certs.to_vec(), key.clone_key())
            .map_err(rustls_err(context))?;
        // DM over HTTP/1.1 only; a client offering just h2 fails the handshake cleanly.
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
        Ok(Arc::new(config))
    }

    /// Require every client to present a certificate that chains to a CA in this PEM
    /// file: transport-layer client authentication ([SEC] §5.3). A client without one
    /// fails the handshake.
    pub fn requiring_client_cert(self, ca_file: impl AsRef<Path>) -> Result<Self, TlsError> {
        let path = ca_file.as_ref();
        self.requiring_client_cert_pem(&read(path)?, &path.display().to_string())
    }

    /// As [`requiring_client_cert`](Self::requiring_client_cert), from PEM text; `what`
    /// names it in errors.
    pub fn requiring_client_cert_pem(self, ca_pem: &[u8], what: &str) -> Result<Self, TlsError> {
        let roots = roots_in(ca_pem, what)?;
        let verifier = WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider())
            .build()
            .map_err(|e| TlsError::ClientVerifier {
                what: what.to_owned(),
                detail: e.to_string(),
            })?;
        let config = Self::config_for(
            &self.certs,
            &self.key,
            Some(verifier),
            &format!("client certificates from {what} cannot be required"),
        )?;
        Ok(ServerTls {
            config,
            requires_client_cert: true,
            ..self
        })
    }

    /// Whether clients must present a certificate.
    pub fn requires_client_cert(&self) -> bool {
        self.requires_client_cert
    }

    /// The certificate chain served, as PEM. For a generated certificate this is what a
    /// client needs as its CA file.
    pub fn cert_pem(&self) -> &str {
        &self.cert_pem
    }

    pub fn config(&self) -> Arc<ServerConfig> {
        self.config.clone()
    }
}

/// Which servers the harness trusts when it is the HTTPS client, and the certificate it
/// presents, if any.
#[derive(Clone)]
pub struct ClientTls {
    config: Arc<ClientConfig>,
    trust: Trust,
    identity: Option<Identity>,
    observed: Arc<std::sync::Mutex<Observed>>,
}

/// What dmct's client saw of the transport layer over its connections, for the
/// transcript's record of who authenticated at which layer.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Observed {
    /// Subject of the last server certificate verified against the trust anchors (never
    /// set by `insecure`, which verifies nothing).
    pub server_subject: Option<String>,
    /// A server asked for the client certificate and was given it.
    pub client_cert_requested: bool,
}

#[derive(Clone)]
enum Trust {
    Roots(Arc<RootCertStore>),
    AnyServer,
}

/// The client certificate presented: chain, key and the leaf's subject.
#[derive(Clone)]
struct Identity {
    certs: Vec<CertificateDer<'static>>,
    key: Arc<PrivateKeyDer<'static>>,
    subject: String,
}

impl std::fmt::Debug for ClientTls {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientTls").finish_non_exhaustive()
    }
}

impl ClientTls {
    /// Trust the certificates in a PEM file (a CA, or a self-signed server certificate).
    pub fn from_ca_file(path: impl AsRef<Path>) -> Result<Self, TlsError> {
        let path = path.as_ref();
        Self::trusting(&read(path)?, &path.display().to_string())
    }

    /// Trust the operating system's CA roots (read by rustls-native-certs: the
    /// platform's store, or `SSL_CERT_FILE` / `SSL_CERT_DIR` when set) when `system`,
    /// and beside them the certificates in `ca_file`. `None` when that is nothing at
    /// all (no readable system store and no file): an https:// URL then says what to
    /// give. System certificates rustls cannot use are skipped, so one odd entry in a
    /// lab machine's store never stops a run.
    pub fn trusting_roots(system: bool, ca_file: Option<&Path>) -> Result<Option<Self>, TlsError> {
        let mut roots = RootCertStore::empty();
        if system {
            roots.add_parsable_certificates(rustls_native_certs::load_native_certs().certs);
        }
        if let Some(path) = ca_file {
            let given = roots_in(&read(path)?, &path.display().to_string())?;
            roots.roots.extend(given.roots);
        }
        if roots.is_empty() {
            return Ok(None);
        }
        Ok(Some(Self::build(Trust::Roots(Arc::new(roots)), None)?))
    }

    /// As [`from_ca_file`](Self::from_ca_file), from PEM text in memory.
    pub fn from_ca_pem(pem: &[u8]) -> Result<Self, TlsError> {
        Self::trusting(pem, "the CA PEM")
    }

    fn trusting(pem: &[u8], what: &str) -> Result<Self, TlsError> {
        Self::build(Trust::Roots(Arc::new(roots_in(pem, what)?)), None)
    }

    /// Accept any server certificate: no chain, name or validity check. Handshake
    /// signatures are still verified, so the peer must hold the key it presents.
    pub fn insecure() -> Result<Self, TlsError> {
        Self::build(Trust::AnyServer, None)
    }

    /// Present this certificate chain (leaf first) and key, both PEM, to servers that
    /// ask for one: transport-layer client authentication ([SEC] §5.3).
    pub fn with_client_cert(
        self,
        cert: impl AsRef<Path>,
        key: impl AsRef<Path>,
    ) -> Result<Self, TlsError> {
        let (cert, key) = (cert.as_ref(), key.as_ref());
        let certs = certs_in(&read(cert)?, &cert.display().to_string())?;
        let key_der = key_in(&read(key)?, &key.display().to_string())?;
        self.identified(certs, key_der)
    }

    /// As [`with_client_cert`](Self::with_client_cert), from PEM text in memory.
    pub fn with_client_cert_pem(self, cert_pem: &[u8], key_pem: &[u8]) -> Result<Self, TlsError> {
        let certs = certs_in(cert_pem, "the client certificate PEM")?;
        let key = key_in(key_pem, "the client key PEM")?;
        self.identified(certs, key)
    }

    fn identified(
        self,
        certs: Vec<CertificateDer<'static>>,
        key: PrivateKeyDer<'static>,
    ) -> Result<Self, TlsError> {
        let subject = subject_of(&certs[0]).unwrap_or_else(|| "(unparsable certificate)".into());
        let identity = Identity {
            certs,
            key: Arc::new(key),
            subject,
        };
        Self::build(self.trust, Some(identity))
    }

    fn build(trust: Trust, identity: Option<Identity>) -> Result<Self, TlsError> {
        let provider = provider();
        let observed = Arc::new(std::sync::Mutex::new(Observed::default()));
        let builder = ClientConfig::builder_with_provider(provider.clone())
            .with_safe_default_protocol_versions()
            .map_err(rustls_err("TLS client setup failed"))?;
        let verifier: Arc<dyn ServerCertVerifier> = match &trust {
            Trust::Roots(roots) => Arc::new(Observing {
                inner: WebPkiServerVerifier::builder_with_provider(roots.clone(), provider.clone())
                    .build()
                    .map_err(|e| TlsError::ClientVerifier {
                        what: "the CA file".into(),
                        detail: e.to_string(),
                    })?,
                observed: observed.clone(),
            }),
            Trust::AnyServer => Arc::new(AcceptAnyCert(provider.clone())),
        };
        let builder = builder
            .dangerous()
            .with_custom_certificate_verifier(verifier);
        let mut config = match &identity {
            None => builder.with_no_client_auth(),
            Some(id) => {
                let key = CertifiedKey::from_der(id.certs.clone(), id.key.clone_key(), &provider)
                    .map_err(rustls_err(
                    "the client certificate and key do not make a usable TLS client identity",
                ))?;
                builder.with_client_cert_resolver(Arc::new(Presenting {
                    key: Arc::new(key),
                    observed: observed.clone(),
                }))
            }
        };
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
        Ok(ClientTls {
            config: Arc::new(config),
            trust,
            identity,
            observed,
        })
    }

    /// What the connections made so far showed of the transport layer.
    pub fn observed(&self) -> Observed {
        self.observed
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// The subject of the client certificate presented, if any.
    pub fn client_subject(&self) -> Option<&str> {
        self.identity.as_ref().map(|i| i.subject.as_str())
    }

    /// Whether server certificates are checked against trust anchors (not `insecure`).
    pub fn verifies_server(&self) -> bool {
        matches!(self.trust, Trust::Roots(_))
    }

    pub fn config(&self) -> Arc<ClientConfig> {
        self.config.clone()
    }
}

/// The web PKI check of the server's certificate, noting the subject it verified.
#[derive(Debug)]
struct Observing {
    inner: Arc<WebPkiServerVerifier>,
    observed: Arc<std::sync::Mutex<Observed>>,
}

impl ServerCertVerifier for Observing {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let ok = self.inner.verify_server_cert(
            end_entity,
            intermediates,
            server_name,
            ocsp_response,
            now,
        )?;
        self.observed
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .server_subject = subject_of(end_entity);
        Ok(ok)
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

/// The client certificate, given when a server asks (rustls asks the resolver only
/// then), noting that it was asked.
#[derive(Debug)]
struct Presenting {
    key: Arc<CertifiedKey>,
    observed: Arc<std::sync::Mutex<Observed>>,
}

impl ResolvesClientCert for Presenting {
    fn resolve(
        &self,
        _root_hint_subjects: &[&[u8]],
        _sigschemes: &[SignatureScheme],
    ) -> Option<Arc<CertifiedKey>> {
        self.observed
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .client_cert_requested = true;
        Some(self.key.clone())
    }

    fn has_certs(&self) -> bool {
        true
    }
}

#[derive(Debug)]
struct AcceptAnyCert(Arc<CryptoProvider>);

impl ServerCertVerifier for AcceptAnyCert {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_cert_pem_round_trips_and_is_trusted_as_a_ca() {
        let srv = ServerTls::generate(&["localhost", "127.0.0.1"]).expect("generate");
        assert!(srv.cert_pem().starts_with("-----BEGIN CERTIFICATE-----\n"));
        assert!(srv.cert_pem().lines().all(|l| l.len() <= 64));
        ClientTls::from_ca_pem(srv.cert_pem().as_bytes()).expect("trust");
    }

    #[test]
    fn pem_without_the_expected_items_is_named() {
        let e = ClientTls::from_ca_pem(b"hello").unwrap_err();
        assert!(matches!(e, TlsError::NoCertificate { .. }), "{e}");
        let e = ServerTls::from_pem(b"", b"").unwrap_err();
        assert!(e.to_string().contains("no certificate"), "{e}");
        let cert = ServerTls::generate(&["x"]).expect("generate");
        let e = ServerTls::from_pem(cert.cert_pem().as_bytes(), cert.cert_pem().as_bytes())
            .unwrap_err();
        assert!(matches!(e, TlsError::NoKey { .. }), "{e}");
    }
}
