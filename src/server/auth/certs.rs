//! Client-certificate chains checked against a CA bundle of the ConfigMap, as Go's
//! `x509.Certificate.Verify` with client-auth usage does it for kube's `x509` and
//! `headerrequest` authenticators: the leaf must chain, through the intermediates the client
//! sent, to one of the bundle's certificates; every certificate must be within its validity
//! period; extended key usages, where present, must allow client authentication.

use std::fmt;
use tokio_rustls::rustls::pki_types::pem::PemObject;
use tokio_rustls::rustls::pki_types::{CertificateDer, TrustAnchor, UnixTime};

/// Why a CA bundle or a client certificate was refused. The messages never include a
/// certificate's contents.
#[derive(Debug, thiserror::Error)]
pub(crate) enum CertError {
    /// The PEM text holds no certificate.
    #[error("the CA bundle holds no certificate")]
    EmptyBundle,
    /// The PEM text does not parse.
    #[error("the CA bundle is not valid PEM: {0}")]
    Pem(String),
    /// A certificate of the bundle cannot be a trust anchor.
    #[error("a certificate of the CA bundle cannot be used: {0}")]
    Anchor(webpki::Error),
    /// The leaf does not parse as an end-entity certificate.
    #[error("the client certificate does not parse: {0}")]
    Leaf(webpki::Error),
    /// The chain does not verify: unknown issuer, expired, wrong usage, bad signature, ….
    #[error("verifying the client certificate failed: {0}")]
    Verify(webpki::Error),
    /// The leaf's subject does not parse.
    #[error("the client certificate's subject does not parse")]
    Subject,
    /// A front-proxy certificate whose CN is not in `requestheader-allowed-names`.
    #[error("x509: subject with cn={0} is not in the allowed list")]
    NameNotAllowed(String),
}

/// The trust anchors of one PEM bundle of the ConfigMap (`client-ca-file`,
/// `requestheader-client-ca-file`).
#[derive(Clone)]
pub(crate) struct CaBundle {
    anchors: Vec<TrustAnchor<'static>>,
}

impl fmt::Debug for CaBundle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CaBundle").field("certificates", &self.anchors.len()).finish()
    }
}

/// The subject of a verified leaf certificate.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Subject {
    /// The common name (the last CN attribute, as Go reads it); empty when there is none.
    pub(crate) common_name: String,
    /// The organization (O) attributes, in order.
    pub(crate) organizations: Vec<String>,
}

impl CaBundle {
    /// The certificates of a PEM bundle. Non-certificate PEM sections are skipped.
    ///
    /// # Errors
    /// [`CertError::Pem`] when the text does not parse, [`CertError::EmptyBundle`] when it
    /// holds no certificate, [`CertError::Anchor`] when a certificate cannot be a trust anchor.
    pub(crate) fn from_pem(pem: &str) -> Result<Self, CertError> {
        let mut anchors = Vec::new();
        for der in CertificateDer::pem_slice_iter(pem.as_bytes()) {
            let der = der.map_err(|e| CertError::Pem(e.to_string()))?;
            let anchor = webpki::anchor_from_trusted_cert(&der).map_err(CertError::Anchor)?;
            anchors.push(anchor.to_owned());
        }
        if anchors.is_empty() {
            return Err(CertError::EmptyBundle);
        }
        Ok(Self { anchors })
    }

    /// Verifies `chain` (leaf first, then the intermediates the client sent) for client
    /// authentication at `now`, and returns the leaf's subject.
    ///
    /// # Errors
    /// [`CertError::Leaf`], [`CertError::Verify`] or [`CertError::Subject`].
    pub(crate) fn verify(&self, chain: &[CertificateDer<'_>], now: UnixTime) -> Result<Subject, CertError> {
        let Some((leaf, intermediates)) = chain.split_first() else {
            return Err(CertError::Leaf(webpki::Error::BadDer));
        };
        let cert = webpki::EndEntityCert::try_from(leaf).map_err(CertError::Leaf)?;
        cert.verify_for_usage(
            webpki::ALL_VERIFICATION_ALGS,
            &self.anchors,
            intermediates,
            now,
            webpki::KeyUsage::client_auth(),
            None,
            None,
        )
        .map_err(CertError::Verify)?;
        subject(leaf)
    }
}

/// The CN and O attributes of a certificate's subject.
fn subject(der: &CertificateDer<'_>) -> Result<Subject, CertError> {
    let (_, cert) = x509_parser::parse_x509_certificate(der).map_err(|_| CertError::Subject)?;
    let name = cert.subject();
    let text = |attr: &x509_parser::x509::AttributeTypeAndValue<'_>| {
        attr.as_str().map(str::to_owned).map_err(|_| CertError::Subject)
    };
    let common_name = match name.iter_common_name().last() {
        Some(cn) => text(cn)?,
        None => String::new(),
    };
    let organizations = name.iter_organization().map(text).collect::<Result<_, _>>()?;
    Ok(Subject { common_name, organizations })
}

/// `Ok` when `allowed` is empty (no restriction) or holds `common_name`, as kube's
/// `headerrequest` verifier checks a front-proxy certificate.
///
/// # Errors
/// [`CertError::NameNotAllowed`].
pub(crate) fn check_allowed_name(allowed: &[String], common_name: &str) -> Result<(), CertError> {
    if allowed.is_empty() || allowed.iter().any(|n| n == common_name) {
        Ok(())
    } else {
        Err(CertError::NameNotAllowed(common_name.to_string()))
    }
}

#[cfg(test)]
pub(crate) mod testing {
    //! rcgen-made CAs and client certificates for the tests of this folder.

    use rcgen::{
        BasicConstraints, CertificateParams, CertifiedIssuer, DnType, ExtendedKeyUsagePurpose, IsCa, KeyPair,
    };
    use tokio_rustls::rustls::pki_types::CertificateDer;

    /// A self-signed CA that signs client certificates.
    pub(crate) struct TestCa {
        issuer: CertifiedIssuer<'static, KeyPair>,
    }

    impl TestCa {
        /// A CA named `name`.
        pub(crate) fn new(name: &str) -> Self {
            let mut params = CertificateParams::new(Vec::<String>::new()).expect("params");
            params.distinguished_name.push(DnType::CommonName, name);
            params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
            let key = KeyPair::generate().expect("key");
            Self { issuer: CertifiedIssuer::self_signed(params, key).expect("CA") }
        }

        /// The CA certificate as PEM, as the ConfigMap holds it.
        pub(crate) fn pem(&self) -> String {
            self.issuer.pem()
        }

        /// A client certificate with CN `cn` and the O values `orgs` (at most two), valid now.
        pub(crate) fn client(&self, cn: &str, orgs: &[&str]) -> CertificateDer<'static> {
            self.client_with(cn, orgs, |_| {})
        }

        /// A client certificate after `edit` changed its parameters (validity, usages).
        pub(crate) fn client_with(
            &self,
            cn: &str,
            orgs: &[&str],
            edit: impl FnOnce(&mut CertificateParams),
        ) -> CertificateDer<'static> {
            let mut params = CertificateParams::new(Vec::<String>::new()).expect("params");
            params.distinguished_name.push(DnType::CommonName, cn);
            // rcgen keeps one value per attribute type; a second O goes in under its OID.
            assert!(orgs.len() <= 2, "at most two organizations");
            let o = [DnType::OrganizationName, DnType::CustomDnType(vec![2, 5, 4, 10])];
            for (ty, org) in o.into_iter().zip(orgs) {
                params.distinguished_name.push(ty, *org);
            }
            params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
            edit(&mut params);
            let key = KeyPair::generate().expect("key");
            params.signed_by(&key, &self.issuer).expect("signed").der().clone()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::testing::TestCa;
    use super::*;
    use rcgen::{ExtendedKeyUsagePurpose, date_time_ymd};

    fn now() -> UnixTime {
        UnixTime::now()
    }

    #[test]
    fn a_client_certificate_of_the_ca_gives_its_cn_and_organizations() {
        let ca = TestCa::new("client-ca");
        let bundle = CaBundle::from_pem(&ca.pem()).unwrap();
        let leaf = ca.client("alice", &["dev", "ops"]);
        let subject = bundle.verify(&[leaf], now()).unwrap();
        assert_eq!(subject.common_name, "alice");
        assert_eq!(subject.organizations, ["dev", "ops"]);
    }

    #[test]
    fn a_bundle_of_several_cas_trusts_each() {
        let (a, b) = (TestCa::new("a"), TestCa::new("b"));
        let bundle = CaBundle::from_pem(&format!("{}\n{}", a.pem(), b.pem())).unwrap();
        assert!(bundle.verify(&[a.client("x", &[])], now()).is_ok());
        assert!(bundle.verify(&[b.client("y", &[])], now()).is_ok());
    }

    #[test]
    fn a_certificate_of_another_ca_is_refused() {
        let bundle = CaBundle::from_pem(&TestCa::new("trusted").pem()).unwrap();
        let leaf = TestCa::new("unknown").client("mallory", &["system:masters"]);
        assert!(matches!(
            bundle.verify(&[leaf], now()),
            Err(CertError::Verify(webpki::Error::UnknownIssuer))
        ));
    }

    #[test]
    fn an_expired_certificate_is_refused() {
        let ca = TestCa::new("ca");
        let bundle = CaBundle::from_pem(&ca.pem()).unwrap();
        let leaf = ca.client_with("old", &[], |p| {
            p.not_before = date_time_ymd(2020, 1, 1);
            p.not_after = date_time_ymd(2021, 1, 1);
        });
        assert!(matches!(
            bundle.verify(&[leaf], now()),
            Err(CertError::Verify(webpki::Error::CertExpired { .. }))
        ));
    }

    #[test]
    fn a_server_only_certificate_is_refused() {
        let ca = TestCa::new("ca");
        let bundle = CaBundle::from_pem(&ca.pem()).unwrap();
        let leaf = ca.client_with("server", &[], |p| {
            p.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        });
        assert!(matches!(bundle.verify(&[leaf], now()), Err(CertError::Verify(_))));
    }

    #[test]
    fn a_certificate_without_usages_is_accepted_as_go_does() {
        let ca = TestCa::new("ca");
        let bundle = CaBundle::from_pem(&ca.pem()).unwrap();
        let leaf = ca.client_with("any", &[], |p| p.extended_key_usages.clear());
        assert!(bundle.verify(&[leaf], now()).is_ok());
    }

    #[test]
    fn bad_bundles_are_refused() {
        assert!(matches!(CaBundle::from_pem(""), Err(CertError::EmptyBundle)));
        assert!(CaBundle::from_pem("-----BEGIN CERTIFICATE-----\n!!\n-----END CERTIFICATE-----\n").is_err());
    }

    #[test]
    fn allowed_names_restrict_only_when_given() {
        assert!(check_allowed_name(&[], "anyone").is_ok());
        let allowed = vec!["front-proxy-client".to_string()];
        assert!(check_allowed_name(&allowed, "front-proxy-client").is_ok());
        let err = check_allowed_name(&allowed, "other").unwrap_err();
        assert_eq!(err.to_string(), "x509: subject with cn=other is not in the allowed list");
    }
}
