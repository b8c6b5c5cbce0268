//! The certificates registered on the app: what the token endpoint needs of
//! each to check a client assertion (thumbprints, RSA public key, validity).

use aws_lc_rs::digest::{SHA1_FOR_LEGACY_USE_ONLY, SHA256, digest};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use time::OffsetDateTime;
use x509_cert::Certificate;
use x509_cert::der::Decode;

use super::{CertificateError, sha256_thumbprint};

const RSA_ENCRYPTION_OID: &str = "1.2.840.113549.1.1.1";

/// One registered certificate (an app's `keyCredentials` entry).
#[derive(Debug, Clone)]
pub(crate) struct RegisteredCertificate {
    pub sha256: Vec<u8>,
    pub sha1: Vec<u8>,
    /// The PKCS#1 `RSAPublicKey` DER, as aws-lc-rs verifies with it.
    pub public_key: Vec<u8>,
    pub not_before: OffsetDateTime,
    pub not_after: OffsetDateTime,
}

impl RegisteredCertificate {
    /// `x5t#S256` of the certificate.
    pub fn thumbprint(&self) -> String {
        URL_SAFE_NO_PAD.encode(&self.sha256)
    }
}

/// Every `CERTIFICATE` block of every text; other blocks (a key beside the
/// certificate) are skipped. A text with no certificate is an error.
pub(crate) fn parse_all(pems: &[String]) -> Result<Vec<RegisteredCertificate>, CertificateError> {
    let mut certificates = Vec::new();
    for (index, text) in pems.iter().enumerate() {
        let blocks = pem::parse_many(text)
            .map_err(|e| CertificateError(format!("client certificate {index}: not PEM: {e}")))?;
        let before = certificates.len();
        for block in blocks.iter().filter(|b| b.tag() == "CERTIFICATE") {
            certificates.push(
                parse_der(block.contents()).map_err(|e| {
                    CertificateError(format!("client certificate {index}: {}", e.0))
                })?,
            );
        }
        if certificates.len() == before {
            return Err(CertificateError(format!(
                "client certificate {index}: no -----BEGIN CERTIFICATE----- block"
            )));
        }
    }
    Ok(certificates)
}

fn parse_der(der: &[u8]) -> Result<RegisteredCertificate, CertificateError> {
    let certificate = Certificate::from_der(der)
        .map_err(|e| CertificateError(format!("not an X.509 certificate: {e}")))?;
    let tbs = &certificate.tbs_certificate;
    let spki = &tbs.subject_public_key_info;
    if spki.algorithm.oid.to_string() != RSA_ENCRYPTION_OID {
        return Err(CertificateError(format!(
            "{}: its key is not RSA (algorithm {}); Entra takes RSA certificates",
            sha256_thumbprint(der),
            spki.algorithm.oid
        )));
    }
    let public_key = spki
        .subject_public_key
        .as_bytes()
        .ok_or_else(|| CertificateError("its public key is not whole bytes".to_string()))?
        .to_vec();
    Ok(RegisteredCertificate {
        sha256: digest(&SHA256, der).as_ref().to_vec(),
        sha1: digest(&SHA1_FOR_LEGACY_USE_ONLY, der).as_ref().to_vec(),
        public_key,
        not_before: instant(tbs.validity.not_before.to_unix_duration()),
        not_after: instant(tbs.validity.not_after.to_unix_duration()),
    })
}

fn instant(since_epoch: std::time::Duration) -> OffsetDateTime {
    let seconds = i64::try_from(since_epoch.as_secs()).unwrap_or(i64::MAX);
    OffsetDateTime::from_unix_timestamp(seconds).unwrap_or(OffsetDateTime::UNIX_EPOCH)
}
