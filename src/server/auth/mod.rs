//! Who is calling, and may they (aggregated mode): authentication and authorization as an
//! extension API server does them, delegated to the cluster's kube-apiserver.

use std::sync::Arc;
use tokio_rustls::rustls::pki_types::CertificateDer;

/// The certificate chain a client presented in the TLS handshake (leaf first), put in each
/// request's extensions by the TLS server. Its signature over the handshake is verified there;
/// its chain is not: that is checked here, against the CAs in force when the request arrives.
#[derive(Clone, Debug)]
pub(crate) struct PeerCertificates(pub(crate) Arc<[CertificateDer<'static>]>);
