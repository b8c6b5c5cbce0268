//! Self-signed RSA 2048 test certificates, made without OpenSSL: aws-lc-rs
//! makes the key, rcgen the certificate.

use std::path::{Path, PathBuf};

use rcgen::{CertificateParams, DistinguishedName, DnType, KeyPair, PKCS_RSA_SHA256, RsaKeySize};
use time::{Duration, OffsetDateTime};

use super::{CertificateError, sha1_thumbprint, sha256_thumbprint};

/// A certificate to register on the emulator's app and the key to sign
/// client assertions with.
#[derive(Clone)]
pub struct TestCertificate {
    /// `-----BEGIN CERTIFICATE-----`.
    pub certificate_pem: String,
    /// PKCS#8, `-----BEGIN PRIVATE KEY-----`, RSA 2048.
    pub private_key_pem: String,
    /// The certificate's DER form.
    pub certificate_der: Vec<u8>,
    /// The key's PKCS#8 DER form, as `aws_lc_rs::rsa::KeyPair::from_pkcs8` takes it.
    pub private_key_der: Vec<u8>,
    /// `x5t#S256`: base64url (no padding) of the SHA-256 of the DER certificate.
    pub sha256_thumbprint: String,
    /// `x5t`: base64url (no padding) of the SHA-1 of the DER certificate.
    pub sha1_thumbprint: String,
}

// The key stays out of debug output.
impl std::fmt::Debug for TestCertificate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TestCertificate")
            .field("sha256_thumbprint", &self.sha256_thumbprint)
            .finish_non_exhaustive()
    }
}

impl TestCertificate {
    /// A new key and certificate, valid from a day ago for a year (real time).
    ///
    /// # Panics
    /// If aws-lc-rs cannot make an RSA key, which leaves nothing to test with.
    pub fn generate() -> TestCertificate {
        let now = OffsetDateTime::now_utc();
        Self::generate_valid(now - Duration::days(1), now + Duration::days(365))
    }

    /// A new key and a certificate valid from `not_before` to `not_after`.
    ///
    /// # Panics
    /// As [`TestCertificate::generate`].
    pub fn generate_valid(
        not_before: OffsetDateTime,
        not_after: OffsetDateTime,
    ) -> TestCertificate {
        let key = KeyPair::generate_rsa_for(&PKCS_RSA_SHA256, RsaKeySize::_2048)
            .expect("aws-lc-rs makes an RSA 2048 key");
        let certificate = params(not_before, not_after)
            .self_signed(&key)
            .expect("a self-signed certificate over a fresh key");
        let der = certificate.der().to_vec();
        TestCertificate {
            certificate_pem: certificate.pem(),
            private_key_pem: key.serialize_pem(),
            private_key_der: key.serialize_der(),
            sha256_thumbprint: sha256_thumbprint(&der),
            sha1_thumbprint: sha1_thumbprint(&der),
            certificate_der: der,
        }
    }

    /// Writes `cert.pem` and `key.pem` (owner-only on Unix) into `dir`,
    /// making it if needed; returns their paths.
    pub fn write_to_dir(&self, dir: &Path) -> Result<(PathBuf, PathBuf), CertificateError> {
        let fail = |what: &Path, e: std::io::Error| {
            CertificateError(format!("cannot write {}: {e}", what.display()))
        };
        std::fs::create_dir_all(dir).map_err(|e| fail(dir, e))?;
        let cert_path = dir.join("cert.pem");
        let key_path = dir.join("key.pem");
        std::fs::write(&cert_path, &self.certificate_pem).map_err(|e| fail(&cert_path, e))?;
        write_private(&key_path, &self.private_key_pem).map_err(|e| fail(&key_path, e))?;
        Ok((cert_path, key_path))
    }
}

fn params(not_before: OffsetDateTime, not_after: OffsetDateTime) -> CertificateParams {
    let mut params = CertificateParams::default();
    let mut name = DistinguishedName::new();
    name.push(DnType::CommonName, "o365-emulator test client");
    params.distinguished_name = name;
    params.not_before = not_before;
    params.not_after = not_after;
    params
}

#[cfg(unix)]
fn write_private(path: &Path, text: &str) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)?;
    file.write_all(text.as_bytes())
}

#[cfg(not(unix))]
fn write_private(path: &Path, text: &str) -> std::io::Result<()> {
    std::fs::write(path, text)
}
