//! Certificates: the ones registered on the app, which the token endpoint
//! checks client assertions against, and a maker of test certificates for
//! the tests and scripts that sign those assertions.

mod maker;
mod registered;

pub use maker::TestCertificate;
pub(crate) use registered::{RegisteredCertificate, parse_all};

use aws_lc_rs::digest::{SHA1_FOR_LEGACY_USE_ONLY, SHA256, digest};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

/// Why a PEM text cannot be registered (or a test certificate not made or written).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct CertificateError(pub(crate) String);

/// `x5t#S256`: base64url (no padding) of the SHA-256 of the DER certificate.
pub fn sha256_thumbprint(der: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(digest(&SHA256, der))
}

/// `x5t`: base64url (no padding) of the SHA-1 of the DER certificate.
pub fn sha1_thumbprint(der: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(digest(&SHA1_FOR_LEGACY_USE_ONLY, der))
}
