//! HTTPS (aggregated mode): rustls with the ring provider, HTTP/2 and HTTP/1.1 by ALPN.
//!
//! - The serving pair comes from `--tls-cert-file` / `--tls-private-key-file`, re-read when
//!   either file changes (cert-manager and kubelet swap Secret volumes by symlink, so the files
//!   are read again, not watched by inode); a bad new pair is logged and the old one kept. Without
//!   files, a self-signed pair is made in `--cert-dir` (or reused from there).
//! - A client may present a certificate (kube-apiserver's front proxy does). The handshake proves
//!   the client holds its key; its chain is checked later, per request, against the CAs in force
//!   then ([`crate::server::auth`]), as kube-apiserver does with `RequestClientCert`.

use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};
use std::time::{Duration, SystemTime};

use tokio_rustls::rustls::client::danger::HandshakeSignatureValid;
use tokio_rustls::rustls::crypto::{CryptoProvider, WebPkiSupportedAlgorithms, ring};
use tokio_rustls::rustls::pki_types::pem::PemObject;
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer, UnixTime};
use tokio_rustls::rustls::server::danger::{ClientCertVerified, ClientCertVerifier};
use tokio_rustls::rustls::server::{ClientHello, ResolvesServerCert};
use tokio_rustls::rustls::sign::CertifiedKey;
use tokio_rustls::rustls::{DigitallySignedStruct, DistinguishedName, ServerConfig, SignatureScheme};

/// How often the certificate files are checked for a change.
const RELOAD_INTERVAL: Duration = Duration::from_secs(10);

/// The names of the self-signed pair in `--cert-dir` (kube-apiserver's).
const SELF_SIGNED_CERT: &str = "apiserver.crt";
const SELF_SIGNED_KEY: &str = "apiserver.key";

/// Why the serving certificate could not be loaded or made.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TlsError {
    /// A file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// A file holds no usable certificate or key.
    #[error("{path}: {message}")]
    Pem {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
    /// The pair was refused (e.g. the key does not match the certificate).
    #[error("the serving certificate and key do not make a usable pair: {0}")]
    Pair(String),
    /// The self-signed pair could not be generated.
    #[error("generating a self-signed serving certificate failed: {0}")]
    Generate(#[from] rcgen::Error),
}

/// Where the serving pair comes from.
#[derive(Clone, Debug)]
pub(crate) enum CertSource {
    /// Files given by flags, re-read on change.
    Files {
        /// The certificate chain (PEM).
        cert: PathBuf,
        /// The private key (PEM).
        key: PathBuf,
    },
    /// A self-signed pair kept in this directory.
    SelfSigned(PathBuf),
}

/// The rustls server configuration for `source`, and the task that reloads its files (`None`
/// for a self-signed pair). The task runs until dropped.
pub(crate) fn server_config(
    source: &CertSource,
) -> Result<(Arc<ServerConfig>, Option<impl Future<Output = ()> + Send + 'static>), TlsError> {
    let provider = Arc::new(ring::default_provider());
    let (cert, key) = match source {
        CertSource::Files { cert, key } => (cert.clone(), key.clone()),
        CertSource::SelfSigned(dir) => self_signed(dir)?,
    };
    let resolver = Arc::new(Reloading::load(&provider, cert, key)?);
    let verifier = Arc::new(AnyClientCertificate { algorithms: provider.signature_verification_algorithms });
    let mut config = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| TlsError::Pair(e.to_string()))?
        .with_client_cert_verifier(verifier)
        .with_cert_resolver(resolver.clone());
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    let reload = matches!(source, CertSource::Files { .. }).then(|| resolver.follow());
    Ok((Arc::new(config), reload))
}

/// The self-signed pair in `dir` (made there when missing): valid for `localhost`, 127.0.0.1
/// and ::1, as kube-apiserver's own self-signed pair.
fn self_signed(dir: &Path) -> Result<(PathBuf, PathBuf), TlsError> {
    let (cert, key) = (dir.join(SELF_SIGNED_CERT), dir.join(SELF_SIGNED_KEY));
    if cert.is_file() && key.is_file() {
        return Ok((cert, key));
    }
    let io = |path: &Path| {
        let path = path.to_path_buf();
        move |source| TlsError::Io { path, source }
    };
    std::fs::create_dir_all(dir).map_err(io(dir))?;
    let names = vec!["localhost".to_string(), "127.0.0.1".to_string(), "::1".to_string()];
    let generated = rcgen::generate_simple_self_signed(names)?;
    std::fs::write(&cert, generated.cert.pem()).map_err(io(&cert))?;
    write_private(&key, generated.signing_key.serialize_pem().as_bytes()).map_err(io(&key))?;
    tracing::info!("generated a self-signed serving certificate in {}", dir.display());
    Ok((cert, key))
}

/// Writes `data` to a file only its owner may read.
fn write_private(path: &Path, data: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    #[cfg(unix)]
    use std::os::unix::fs::OpenOptionsExt;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    options.mode(0o600);
    options.open(path)?.write_all(data)
}

/// What the files held when last read: their modification times and the pair made of them.
struct Loaded {
    stamps: (Option<SystemTime>, Option<SystemTime>),
    key: Arc<CertifiedKey>,
}

/// The serving pair, swapped when its files change.
struct Reloading {
    provider: Arc<CryptoProvider>,
    cert: PathBuf,
    key: PathBuf,
    current: RwLock<Loaded>,
}

impl std::fmt::Debug for Reloading {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Reloading").field("cert", &self.cert).field("key", &self.key).finish_non_exhaustive()
    }
}

/// A file's modification time, if it can be read (a symlink is followed).
fn stamp(path: &Path) -> Option<SystemTime> {
    std::fs::metadata(path).and_then(|m| m.modified()).ok()
}

impl Reloading {
    fn load(provider: &Arc<CryptoProvider>, cert: PathBuf, key: PathBuf) -> Result<Self, TlsError> {
        let stamps = (stamp(&cert), stamp(&key));
        let loaded = Loaded { stamps, key: Arc::new(certified_key(provider, &cert, &key)?) };
        Ok(Self { provider: provider.clone(), cert, key, current: RwLock::new(loaded) })
    }

    /// Re-reads the files if either changed since the last read; a pair that does not load is
    /// logged (once per change) and the old one kept.
    fn refresh(&self) {
        let stamps = (stamp(&self.cert), stamp(&self.key));
        if self.current.read().unwrap_or_else(|e| e.into_inner()).stamps == stamps {
            return;
        }
        let result = certified_key(&self.provider, &self.cert, &self.key);
        let mut current = self.current.write().unwrap_or_else(|e| e.into_inner());
        current.stamps = stamps;
        match result {
            Ok(key) => {
                current.key = Arc::new(key);
                tracing::info!(cert = %self.cert.display(), "reloaded the serving certificate");
            }
            Err(e) => {
                tracing::warn!(error = %e, "the changed serving certificate does not load; still serving the previous one")
            }
        }
    }

    /// Checks the files every [`RELOAD_INTERVAL`] until dropped.
    async fn follow(self: Arc<Self>) {
        let mut tick = tokio::time::interval(RELOAD_INTERVAL);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            let this = self.clone();
            let _ = tokio::task::spawn_blocking(move || this.refresh()).await;
        }
    }
}

impl ResolvesServerCert for Reloading {
    fn resolve(&self, _hello: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        Some(self.current.read().unwrap_or_else(|e| e.into_inner()).key.clone())
    }
}

/// The pair in `cert` and `key` (PEM), checked to match.
fn certified_key(provider: &CryptoProvider, cert: &Path, key: &Path) -> Result<CertifiedKey, TlsError> {
    let read = |path: &Path| std::fs::read(path).map_err(|source| TlsError::Io { path: path.into(), source });
    let pem_error = |path: &Path, message: String| TlsError::Pem { path: path.into(), message };
    let chain: Vec<CertificateDer<'static>> = CertificateDer::pem_slice_iter(&read(cert)?)
        .collect::<Result<_, _>>()
        .map_err(|e| pem_error(cert, e.to_string()))?;
    if chain.is_empty() {
        return Err(pem_error(cert, "no PEM certificate in the file".into()));
    }
    let private = PrivateKeyDer::from_pem_slice(&read(key)?)
        .map_err(|e| pem_error(key, format!("no usable private key: {e}")))?;
    let pair = CertifiedKey::from_der(chain, private, provider).map_err(|e| TlsError::Pair(e.to_string()))?;
    Ok(pair)
}

/// Asks every client for a certificate and takes any, or none: the handshake checks that the
/// client holds the certificate's key; whether its chain is trusted is the authenticator's call.
#[derive(Debug)]
struct AnyClientCertificate {
    algorithms: WebPkiSupportedAlgorithms,
}

impl ClientCertVerifier for AnyClientCertificate {
    fn client_auth_mandatory(&self) -> bool {
        false
    }

    fn root_hint_subjects(&self) -> &[DistinguishedName] {
        &[]
    }

    fn verify_client_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _now: UnixTime,
    ) -> Result<ClientCertVerified, tokio_rustls::rustls::Error> {
        Ok(ClientCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, tokio_rustls::rustls::Error> {
        tokio_rustls::rustls::crypto::verify_tls12_signature(message, cert, dss, &self.algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, tokio_rustls::rustls::Error> {
        tokio_rustls::rustls::crypto::verify_tls13_signature(message, cert, dss, &self.algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.algorithms.supported_schemes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pair(name: &str) -> (String, String) {
        let g = rcgen::generate_simple_self_signed(vec![name.to_string()]).unwrap();
        (g.cert.pem(), g.signing_key.serialize_pem())
    }

    #[test]
    fn a_self_signed_pair_is_made_once_and_then_reused() {
        let dir = tempfile::tempdir().unwrap();
        let (cert, key) = self_signed(dir.path()).unwrap();
        let first = std::fs::read(&cert).unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(std::fs::metadata(&key).unwrap().permissions().mode() & 0o777, 0o600);
        }
        let (again, _) = self_signed(dir.path()).unwrap();
        assert_eq!(std::fs::read(again).unwrap(), first);
        assert!(server_config(&CertSource::SelfSigned(dir.path().into())).is_ok());
    }

    #[test]
    fn changed_files_replace_the_pair_and_a_bad_change_keeps_the_old_one() {
        let dir = tempfile::tempdir().unwrap();
        let (cert, key) = (dir.path().join("tls.crt"), dir.path().join("tls.key"));
        let (c1, k1) = pair("one.example");
        std::fs::write(&cert, &c1).unwrap();
        std::fs::write(&key, &k1).unwrap();
        let provider = Arc::new(ring::default_provider());
        let reloading = Reloading::load(&provider, cert.clone(), key.clone()).unwrap();
        let served = || reloading.current.read().unwrap().key.cert[0].clone();
        let before = served();

        // A key that does not match the certificate: refused, the old pair stays.
        let (c2, k2) = pair("two.example");
        std::fs::write(&cert, &c2).unwrap();
        bump(&cert);
        reloading.refresh();
        assert_eq!(served(), before);

        std::fs::write(&key, &k2).unwrap();
        bump(&key);
        reloading.refresh();
        assert_ne!(served(), before, "the new pair is served");
    }

    /// Moves a file's modification time forward (writes within one clock tick keep it).
    fn bump(path: &Path) {
        let later = SystemTime::now() + Duration::from_secs(5);
        std::fs::File::options().write(true).open(path).unwrap().set_modified(later).unwrap();
    }

    #[test]
    fn a_key_that_is_not_the_certificates_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let (cert, key) = (dir.path().join("tls.crt"), dir.path().join("tls.key"));
        std::fs::write(&cert, pair("a").0).unwrap();
        std::fs::write(&key, pair("b").1).unwrap();
        let source = CertSource::Files { cert, key };
        assert!(matches!(server_config(&source), Err(TlsError::Pair(_))));
        let missing =
            CertSource::Files { cert: dir.path().join("none.crt"), key: dir.path().join("none.key") };
        assert!(matches!(server_config(&missing), Err(TlsError::Io { .. })));
    }
}
