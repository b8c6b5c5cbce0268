//! A certificate credential: the app registration's certificate and its private key, read once
//! per cold start, and the signed client assertion Entra takes in place of a client secret.
//!
//! Entra identifies the certificate by the SHA-256 thumbprint of its DER form (`x5t#S256`) and
//! checks the JWT's signature with the public key registered on the app, so the key and the
//! certificate are checked against each other here, where the message can say what to fix.

use std::fmt;

use aws_lc_rs::rsa::KeyPair;
use aws_lc_rs::signature::KeyPair as _;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde::Serialize;
use sha2::{Digest, Sha256};
use time::OffsetDateTime;
use x509_cert::Certificate;
use x509_cert::der::Decode;

/// The OAuth client assertion type of a JWT signed with a certificate.
pub const ASSERTION_TYPE: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

/// How long an assertion is valid: a few minutes, as Microsoft's own libraries do. One is made
/// for every token request, so it never needs to outlive the request.
const ASSERTION_LIFETIME_SECS: i64 = 5 * 60;

/// Entra refuses RSA keys under 2048 bits.
const MIN_RSA_BITS: usize = 2048;

const RSA_ENCRYPTION_OID: &str = "1.2.840.113549.1.1.1";

/// Why the stored text is not a usable certificate and key. No variant holds key material.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CertificateError {
    /// Neither PEM blocks nor the JSON form.
    #[error(
        "it holds no PEM text: store the certificate and its private key as PEM (a \
         -----BEGIN CERTIFICATE----- block and a -----BEGIN PRIVATE KEY----- block in one string), \
         or as JSON {{\"certificate\": \"<PEM>\", \"private_key\": \"<PEM>\"}}"
    )]
    NotPem,
    /// A block is missing.
    #[error(
        "it has no {0} block: store both the certificate and its private key (PKCS#8, \
         -----BEGIN PRIVATE KEY-----)"
    )]
    Missing(&'static str),
    /// More than one certificate or key: which one signs would be a guess.
    #[error(
        "it has {count} {what} blocks: store exactly one certificate and its one private key \
         (register the next certificate on the app first, then replace both at once)"
    )]
    Several {
        /// `CERTIFICATE` or `PRIVATE KEY`.
        what: &'static str,
        /// How many there are.
        count: usize,
    },
    /// An encrypted key cannot be used unattended.
    #[error(
        "its private key is encrypted: store it unencrypted (`openssl pkcs8 -topk8 -nocrypt`); \
         Secrets Manager encrypts the secret at rest"
    )]
    EncryptedKey,
    /// The key block does not parse as an RSA key.
    #[error(
        "its private key is not an RSA key in PKCS#8 (or PKCS#1) form ({0}): Entra takes RSA \
         certificates; convert with `openssl pkcs8 -topk8 -nocrypt`"
    )]
    BadKey(String),
    /// Too short for Entra.
    #[error("its RSA key has {0} bits: Entra needs at least 2048; make a new certificate")]
    WeakKey(usize),
    /// The certificate block does not parse as X.509.
    #[error("its certificate is not a valid X.509 certificate: {0}")]
    BadCertificate(String),
    /// Not an RSA certificate.
    #[error("its certificate's key is not RSA (algorithm {0}): make an RSA certificate")]
    NotRsa(String),
    /// The key does not belong to the certificate, so Entra would refuse every signature.
    #[error(
        "its private key does not belong to its certificate: store the key the certificate was \
         made with"
    )]
    Mismatch,
    /// Past its end of validity: Entra refuses it.
    #[error(
        "its certificate expired at {0}: make a new one, register it on the app registration, \
         and store it"
    )]
    Expired(OffsetDateTime),
}

/// The app registration's certificate and private key. `Debug` shows the thumbprint only.
pub struct ClientCertificate {
    key: EncodingKey,
    thumbprint: String,
    not_after: OffsetDateTime,
}

impl fmt::Debug for ClientCertificate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientCertificate")
            .field("x5t#S256", &self.thumbprint)
            .field("not_after", &self.not_after)
            .finish_non_exhaustive()
    }
}

#[derive(Serialize)]
struct Claims<'a> {
    aud: &'a str,
    iss: &'a str,
    sub: &'a str,
    jti: String,
    nbf: i64,
    iat: i64,
    exp: i64,
}

impl ClientCertificate {
    /// Reads the text a Secrets Manager secret holds: both PEM blocks in one string, or JSON
    /// with `certificate` and `private_key`. `now` is for the expiry check.
    pub fn from_text(
        text: &str,
        now: OffsetDateTime,
    ) -> Result<ClientCertificate, CertificateError> {
        let (certificate, key) = blocks(text)?;
        let pair = key_pair(&key)?;
        let cert = Certificate::from_der(certificate.contents())
            .map_err(|err| CertificateError::BadCertificate(err.to_string()))?;
        let spki = &cert.tbs_certificate.subject_public_key_info;
        let algorithm = spki.algorithm.oid.to_string();
        if algorithm != RSA_ENCRYPTION_OID {
            return Err(CertificateError::NotRsa(algorithm));
        }
        if spki.subject_public_key.raw_bytes() != pair.public_key().as_ref() {
            return Err(CertificateError::Mismatch);
        }
        let not_after =
            OffsetDateTime::from(cert.tbs_certificate.validity.not_after.to_system_time());
        if not_after <= now {
            return Err(CertificateError::Expired(not_after));
        }
        let key = EncodingKey::from_rsa_pem(pem::encode(&key).as_bytes())
            .map_err(|err| CertificateError::BadKey(err.to_string()))?;
        Ok(ClientCertificate {
            key,
            thumbprint: URL_SAFE_NO_PAD.encode(Sha256::digest(certificate.contents())),
            not_after,
        })
    }

    /// The `x5t#S256` header: base64url of the SHA-256 of the DER certificate, which is how
    /// Entra finds the certificate among those registered on the app.
    pub fn thumbprint(&self) -> &str {
        &self.thumbprint
    }

    /// When the certificate stops being valid.
    pub fn not_after(&self) -> OffsetDateTime {
        self.not_after
    }

    /// A fresh client assertion for `token_url`: PS256, `iss` = `sub` = the client id, a new
    /// `jti`, valid from now for five minutes.
    pub fn assertion(&self, client_id: &str, token_url: &str, now: OffsetDateTime) -> String {
        let mut header = Header::new(Algorithm::PS256);
        header.typ = Some("JWT".into());
        header.x5t_s256 = Some(self.thumbprint.clone());
        let at = now.unix_timestamp();
        let claims = Claims {
            aud: token_url,
            iss: client_id,
            sub: client_id,
            jti: uuid_v4(),
            nbf: at,
            iat: at,
            exp: at + ASSERTION_LIFETIME_SECS,
        };
        // The key was checked when it was read; signing it cannot fail for a reason another
        // try would change.
        jsonwebtoken::encode(&header, &claims, &self.key)
            .expect("a checked RSA key signs any claims")
    }
}

/// The one certificate and the one key, from PEM text or from the JSON form.
fn blocks(text: &str) -> Result<(pem::Pem, pem::Pem), CertificateError> {
    let text = from_json(text).unwrap_or_else(|| text.to_string());
    let blocks = pem::parse_many(text.trim()).map_err(|_| CertificateError::NotPem)?;
    if blocks.is_empty() {
        return Err(CertificateError::NotPem);
    }
    if blocks.iter().any(|b| b.tag() == "ENCRYPTED PRIVATE KEY") {
        return Err(CertificateError::EncryptedKey);
    }
    let certificate = only(&blocks, "CERTIFICATE", |tag| tag == "CERTIFICATE")?;
    let key = only(&blocks, "PRIVATE KEY", |tag| {
        tag == "PRIVATE KEY" || tag == "RSA PRIVATE KEY"
    })?;
    Ok((certificate, key))
}

/// `{"certificate": ..., "private_key": ...}` as one PEM text, when the secret is that JSON.
fn from_json(text: &str) -> Option<String> {
    let value: serde_json::Value = serde_json::from_str(text.trim()).ok()?;
    let certificate = value.get("certificate")?.as_str()?;
    let key = value.get("private_key")?.as_str()?;
    Some(format!("{}\n{}\n", certificate.trim(), key.trim()))
}

fn only(
    blocks: &[pem::Pem],
    what: &'static str,
    matches: impl Fn(&str) -> bool,
) -> Result<pem::Pem, CertificateError> {
    let found: Vec<&pem::Pem> = blocks.iter().filter(|b| matches(b.tag())).collect();
    match found.as_slice() {
        [] => Err(CertificateError::Missing(what)),
        [one] => Ok((*one).clone()),
        many => Err(CertificateError::Several {
            what,
            count: many.len(),
        }),
    }
}

fn key_pair(key: &pem::Pem) -> Result<KeyPair, CertificateError> {
    let pair = match key.tag() {
        "PRIVATE KEY" => KeyPair::from_pkcs8(key.contents()),
        _ => KeyPair::from_der(key.contents()),
    }
    .map_err(|err| CertificateError::BadKey(err.to_string()))?;
    let bits = pair.public_modulus_len() * 8;
    if bits < MIN_RSA_BITS {
        return Err(CertificateError::WeakKey(bits));
    }
    Ok(pair)
}

/// A random version-4 UUID, the `jti` Entra remembers to refuse a replayed assertion.
fn uuid_v4() -> String {
    let mut bytes: [u8; 16] = rand::random();
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..32]
    )
}
