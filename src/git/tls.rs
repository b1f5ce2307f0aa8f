//! Trust for `https://` remotes: the system CA store, plus an optional per-repository CA bundle.
//!
//! libgit2 (built over the system OpenSSL) checks each server certificate against the system CA
//! store and the host name. A private git server's certificate is usually issued by a private
//! CA instead, so a Repository may carry a CA bundle ([`RepoConfig::ca_bundle`], PEM; Porch reads
//! it from the Secret `<namespace>-ca-bundle`, key `ca.crt`), trusted for that repository only.
//!
//! [`Trust::install`] adds a `certificate_check` callback to a remote operation's callbacks. It
//! accepts a certificate that the bundle vouches for: [`check`] verifies the leaf certificate
//! the server presented with OpenSSL against the bundle's certificates (signature, validity
//! dates, server purpose, and the host among the leaf's subject-alternative DNS names or IP
//! addresses). Any other certificate is left to libgit2's own verdict: `git2` does not pass that
//! verdict to the callback, so the callback answers "passthrough" and libgit2 accepts only what
//! the system store trusts. When it refuses, [`Trust::explain`] turns libgit2's terse error into
//! one that names the host, says the certificate is not trusted and why the bundle did not help.
//!
//! [`RepoConfig::ca_bundle`]: super::RepoConfig::ca_bundle

use std::fmt;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};

use git2::{CertificateCheckStatus, ErrorClass, RemoteCallbacks};
use openssl::stack::Stack;
use openssl::x509::store::X509StoreBuilder;
use openssl::x509::verify::{X509CheckFlags, X509VerifyFlags, X509VerifyParam};
use openssl::x509::{X509, X509PurposeId, X509StoreContext};

use super::error::LibgitError;

/// The CA certificates of one repository's bundle, parsed once and shared by every operation's
/// [`Trust`].
#[derive(Clone, Default)]
pub(crate) struct CaBundle(Option<Arc<[X509]>>);

impl fmt::Debug for CaBundle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.0 {
            Some(cas) => write!(f, "{} certificates", cas.len()),
            None => f.write_str("none"),
        }
    }
}

impl CaBundle {
    /// The certificates of the PEM `bundle`, if any (one that holds none vouches for nothing).
    pub(crate) fn parse(bundle: Option<&[u8]>) -> Self {
        Self(bundle.map(|pem| X509::stack_from_pem(pem).unwrap_or_default().into()))
    }
}

/// The CA bundle of one repository and what one operation's certificate check last concluded.
#[derive(Clone, Default)]
pub(crate) struct Trust {
    /// CA certificates trusted besides the system store.
    bundle: CaBundle,
    /// `(host, reason)` of the last certificate the bundle did not vouch for.
    refused: Arc<Mutex<Option<(String, String)>>>,
}

impl fmt::Debug for Trust {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Trust").field("bundle", &self.bundle).finish_non_exhaustive()
    }
}

impl Trust {
    /// Trust in the system store plus the certificates of `bundle`.
    pub(crate) fn new(bundle: &CaBundle) -> Self {
        Self { bundle: bundle.clone(), refused: Arc::default() }
    }

    /// Adds the certificate check to `callbacks` (see the module docs).
    pub(crate) fn install(&self, callbacks: &mut RemoteCallbacks<'_>) {
        let (bundle, refused) = (self.bundle.0.clone(), self.refused.clone());
        callbacks.certificate_check(move |cert, host| {
            let verdict = match (&bundle, cert.as_x509()) {
                (None, _) => Err("no CA bundle is configured for the repository".to_string()),
                (Some(_), None) => Err("the server presented no X.509 certificate".to_string()),
                (Some(cas), Some(x509)) => {
                    check(cas, x509.data(), host).map_err(|why| format!("CA bundle: {why}"))
                }
            };
            let mut refused = refused.lock().unwrap_or_else(|e| e.into_inner());
            match verdict {
                Ok(()) => {
                    *refused = None;
                    Ok(CertificateCheckStatus::CertificateOk)
                }
                Err(reason) => {
                    *refused = Some((host.to_string(), reason));
                    Ok(CertificateCheckStatus::CertificatePassthrough)
                }
            }
        });
    }

    /// `error` explained if it is libgit2 refusing a server certificate: an SSL-class error about
    /// the certificate ("the SSL certificate is invalid", "hostname does not match certificate",
    /// "the server did not provide a certificate"). Any other error is returned as it is.
    pub(crate) fn explain(&self, error: LibgitError) -> LibgitError {
        if error.class != ErrorClass::Ssl || !error.message.contains("certificate") {
            return error;
        }
        let refused = self.refused.lock().unwrap_or_else(|e| e.into_inner()).clone();
        let message = match refused {
            Some((host, reason)) => {
                format!("the TLS certificate of {host} is not trusted (libgit2: {}; {reason})", error.message)
            }
            None => format!("the server's TLS certificate is not trusted ({})", error.message),
        };
        LibgitError { message, ..error }
    }
}

/// Whether the CA certificates `cas` vouch for the leaf certificate `der` of `host`:
/// signed by one of them (a bundle certificate may be an intermediate CA), valid now, meant for
/// servers, and naming `host` among its subject-alternative names (the subject's common name
/// does not count). The error says why not.
fn check(cas: &[X509], der: &[u8], host: &str) -> Result<(), String> {
    let failed = |e: openssl::error::ErrorStack| format!("cannot verify ({e})");
    if cas.is_empty() {
        return Err("it holds no PEM certificate".into());
    }
    let leaf = X509::from_der(der).map_err(|_| "the server's certificate cannot be parsed".to_string())?;

    let mut param = X509VerifyParam::new().map_err(failed)?;
    param.set_hostflags(X509CheckFlags::NEVER_CHECK_SUBJECT);
    match host.trim_start_matches('[').trim_end_matches(']').parse::<IpAddr>() {
        Ok(ip) => param.set_ip(ip),
        Err(_) => param.set_host(host),
    }
    .map_err(failed)?;
    let mut store = X509StoreBuilder::new().map_err(failed)?;
    for ca in cas {
        store.add_cert(ca.clone()).map_err(failed)?;
    }
    store.set_param(&param).map_err(failed)?;
    store.set_flags(X509VerifyFlags::PARTIAL_CHAIN).map_err(failed)?;
    store.set_purpose(X509PurposeId::SSL_SERVER).map_err(failed)?;
    let store = store.build();

    let untrusted = Stack::new().map_err(failed)?;
    let mut context = X509StoreContext::new().map_err(failed)?;
    context
        .init(&store, &leaf, &untrusted, |context| {
            Ok(if context.verify_cert()? { Ok(()) } else { Err(context.error().error_string().to_string()) })
        })
        .map_err(failed)?
}
