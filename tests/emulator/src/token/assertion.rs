//! A certificate credential: the client assertion (RFC 7523 `private_key_jwt`),
//! checked as Entra checks it, in this order: assertion type, JWT form,
//! algorithm, registered certificate (by `x5t#S256`, else `x5t`), the
//! certificate's validity, signature, `iss`/`sub`, `aud`, `nbf`/`exp` on the
//! emulator's clock, then `jti`.
//!
//! Sources of the codes and texts (Microsoft's public docs and Entra's
//! answers quoted in public issue threads):
//! - the assertion format: MicrosoftDocs/entra-docs
//!   `docs/identity-platform/certificate-credentials.md`;
//! - 700027, 700021, 700023 and 50027: MicrosoftDocs/azure-dev-docs
//!   `articles/java/sdk/troubleshooting-authentication-service-principal.md`
//!   and MicrosoftDocs/entra-docs `docs/identity-platform/reference-error-codes.md`;
//!   the "not registered on application ... Thumbprint of key used by client"
//!   text as Entra answers it, quoted in a public Q&A thread
//!   ("Entra ID OAuth 2.0 /token request failing using client_assertion");
//! - 700024 and its "Current time ..., assertion valid from ..., expiry time
//!   of assertion ..." text: AzureAD/microsoft-authentication-library-for-dotnet#4951,
//!   AzureAD/microsoft-authentication-library-for-java#984;
//! - 50048 (`sub` differs from `iss`): AzureAD/microsoft-authentication-library-for-java#430;
//! - 50027 for an `aud` array: panva/openid-client#348;
//! - 5002730 (unsupported signing algorithm): MSAL.NET 4.60.1 release notes;
//! - 90011 (unexpected `client_assertion_type`): AzureAD/azure-activedirectory-library-for-ruby#53;
//! - 5 minutes of clock skew: the default of Microsoft.IdentityModel's
//!   `TokenValidationParameters.DefaultClockSkew` (300 s); Entra documents none.
//!
//! Entra documents no error for a reused `jti` (MSAL Python even reuses one
//! assertion for minutes: `oauth2cli/assertion.py`, `AutoRefresher`), so the
//! replay check is the emulator's own, under
//! [`crate::EmulatorConfig::reject_assertion_replay`], answered as 50013
//! ("InvalidAssertion") with a text that says so.

use aws_lc_rs::signature::{
    RSA_PKCS1_2048_8192_SHA256, RSA_PSS_2048_8192_SHA256, UnparsedPublicKey, VerificationAlgorithm,
};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::Deserialize;
use serde_json::Value;
use time::{Duration, OffsetDateTime};

use super::Version;
use super::checks::Form;
use super::error::Rejection;
use crate::certificate::RegisteredCertificate;
use crate::state::State;
use crate::timefmt::{entra_instant, key_date};

pub(super) const ASSERTION_TYPE: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

/// Entra's tolerance on `nbf` and `exp` (see the module notes).
pub(super) const CLOCK_SKEW: Duration = Duration::minutes(5);

const DOCS: &str = "Review the documentation at https://learn.microsoft.com/entra/identity-platform/certificate-credentials .";

type Algorithm = &'static dyn VerificationAlgorithm;

/// Where the request was sent, which the assertion's `aud` must name.
pub(super) struct Endpoint<'r> {
    /// The request's `Host` header.
    pub host: Option<&'r str>,
    pub version: Version,
}

/// Passes when `assertion` proves the client is the app `client_id`.
pub(super) fn verify(
    state: &State,
    endpoint: &Endpoint,
    client_id: &str,
    form: &Form,
    assertion: &str,
) -> Result<(), Rejection> {
    assertion_type(form)?;
    let jwt = Jwt::parse(assertion)?;
    let algorithm = algorithm(&jwt.header)?;
    let (certificate, shown) = registered(state, &jwt.header, client_id)?;
    in_validity(state.now(), &certificate, &shown)?;
    signature(&jwt, algorithm, &certificate, &shown)?;
    identity(&jwt.claims, client_id)?;
    audience(state, endpoint, &jwt.claims)?;
    let valid_until = lifetime(state.now(), &jwt.claims)?;
    not_replayed(state, &jwt.claims, valid_until)
}

fn assertion_type(form: &Form) -> Result<(), Rejection> {
    match form.get("client_assertion_type") {
        Some(ASSERTION_TYPE) => Ok(()),
        Some(_) => Err(Rejection::bad_request(
            "invalid_request",
            90011,
            "Unexpected client assertion type.",
        )),
        None => Err(Rejection::missing_parameter("client_assertion_type")),
    }
}

#[derive(Deserialize)]
struct Header {
    alg: Option<String>,
    typ: Option<String>,
    x5t: Option<String>,
    #[serde(rename = "x5t#S256")]
    x5t_s256: Option<String>,
}

#[derive(Deserialize)]
struct Claims {
    aud: Option<Value>,
    iss: Option<String>,
    sub: Option<String>,
    jti: Option<String>,
    exp: Option<f64>,
    nbf: Option<f64>,
}

/// A compact JWS: header, claims, and the signature over `signed`.
struct Jwt<'a> {
    header: Header,
    claims: Claims,
    signed: &'a str,
    signature: Vec<u8>,
}

impl<'a> Jwt<'a> {
    fn parse(text: &'a str) -> Result<Jwt<'a>, Rejection> {
        let (signed, signature) = text.rsplit_once('.').ok_or_else(malformed)?;
        let (header, claims) = signed.split_once('.').ok_or_else(malformed)?;
        Ok(Jwt {
            header: json_part(header)?,
            claims: json_part(claims)?,
            signed,
            signature: URL_SAFE_NO_PAD.decode(signature).map_err(|_| malformed())?,
        })
    }
}

fn json_part<T: serde::de::DeserializeOwned>(part: &str) -> Result<T, Rejection> {
    let bytes = URL_SAFE_NO_PAD.decode(part).map_err(|_| malformed())?;
    serde_json::from_slice(&bytes).map_err(|_| malformed())
}

fn malformed() -> Rejection {
    Rejection::invalid_client(50027, "JWT token is invalid or malformed.")
}

/// PS256 (what Entra asks for) or RS256 (what it still takes), in a `JWT`.
fn algorithm(header: &Header) -> Result<Algorithm, Rejection> {
    if !header
        .typ
        .as_deref()
        .is_some_and(|t| t.eq_ignore_ascii_case("JWT"))
    {
        return Err(malformed());
    }
    match header.alg.as_deref() {
        Some("PS256") => Ok(&RSA_PSS_2048_8192_SHA256),
        Some("RS256") => Ok(&RSA_PKCS1_2048_8192_SHA256),
        _ => Err(Rejection::invalid_client(
            5002730,
            "Invalid JWT token. Unsupported key for the signing algorithm.",
        )),
    }
}

/// The registered certificate the header names, and the thumbprint as
/// Entra's texts show it (upper-case hex).
fn registered(
    state: &State,
    header: &Header,
    client_id: &str,
) -> Result<(RegisteredCertificate, String), Rejection> {
    let (value, sha256) = match (&header.x5t_s256, &header.x5t) {
        (Some(value), _) => (value.as_str(), true),
        (None, Some(value)) => (value.as_str(), false),
        (None, None) => ("", true),
    };
    let bytes = URL_SAFE_NO_PAD.decode(value).ok();
    let shown = bytes.as_deref().map_or_else(|| value.to_string(), hex);
    let found = bytes.and_then(|bytes| {
        state
            .certificates()
            .iter()
            .find(|c| {
                bytes
                    == if sha256 {
                        c.sha256.as_slice()
                    } else {
                        c.sha1.as_slice()
                    }
            })
            .cloned()
    });
    found
        .map(|certificate| (certificate, shown.clone()))
        .ok_or_else(|| not_registered(&shown, client_id))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02X}")).collect()
}

fn not_registered(thumbprint: &str, client_id: &str) -> Rejection {
    Rejection::invalid_client(
        700027,
        format!(
            "The certificate with identifier used to sign the client assertion is not \
             registered on application. [Reason - The key was not found., Thumbprint of key \
             used by client: '{thumbprint}', Please visit the Azure Portal, Graph Explorer or \
             directly use MS Graph to see configured keys for app Id '{client_id}'. Review the \
             documentation at https://docs.microsoft.com/en-us/graph/api/application-get?view=graph-rest-1.0&tabs=http.]"
        ),
    )
}

fn found_key(certificate: &RegisteredCertificate) -> String {
    format!(
        "Found key 'Start={}, End={}'",
        key_date(certificate.not_before),
        key_date(certificate.not_after)
    )
}

/// A key credential counts only between its certificate's dates.
fn in_validity(
    now: OffsetDateTime,
    certificate: &RegisteredCertificate,
    shown: &str,
) -> Result<(), Rejection> {
    if certificate.not_before <= now && now <= certificate.not_after {
        return Ok(());
    }
    Err(invalid_signature(
        "The key used is expired.",
        certificate,
        shown,
    ))
}

fn signature(
    jwt: &Jwt,
    algorithm: Algorithm,
    certificate: &RegisteredCertificate,
    shown: &str,
) -> Result<(), Rejection> {
    UnparsedPublicKey::new(algorithm, &certificate.public_key)
        .verify(jwt.signed.as_bytes(), &jwt.signature)
        .map_err(|_| {
            invalid_signature(
                "The provided signature value did not match the expected signature value.",
                certificate,
                shown,
            )
        })
}

fn invalid_signature(reason: &str, certificate: &RegisteredCertificate, shown: &str) -> Rejection {
    Rejection::invalid_client(
        700027,
        format!(
            "Client assertion contains an invalid signature. [Reason - {reason}, Thumbprint of \
             key used by client: '{shown}', {}]",
            found_key(certificate)
        ),
    )
}

/// `iss` and `sub` both name the app.
fn identity(claims: &Claims, client_id: &str) -> Result<(), Rejection> {
    let issuer = claims.iss.as_deref().unwrap_or_default();
    if claims.sub.as_deref().unwrap_or_default() != issuer {
        return Err(Rejection::invalid_client(
            50048,
            "Subject must match the issuer claim in the client assertion.",
        ));
    }
    if issuer.eq_ignore_ascii_case(client_id) {
        return Ok(());
    }
    Err(Rejection::invalid_client(
        700021,
        format!(
            "Client assertion application identifier doesn't match 'client_id' parameter. {DOCS}"
        ),
    ))
}

/// `aud` is the token endpoint the request went to, naming the tenant by id
/// or by domain; one string, not an array.
fn audience(state: &State, endpoint: &Endpoint, claims: &Claims) -> Result<(), Rejection> {
    let audience = match &claims.aud {
        Some(Value::Array(_)) => return Err(malformed()),
        Some(Value::String(audience)) => audience.trim_end_matches('/'),
        _ => "",
    };
    if token_endpoints(state, endpoint)
        .iter()
        .any(|url| url.eq_ignore_ascii_case(audience))
    {
        return Ok(());
    }
    Err(Rejection::invalid_client(
        700023,
        format!("Client assertion audience claim does not match Realm issuer. {DOCS}"),
    ))
}

/// The endpoint's URL as the client may have named it: via the `Host` it
/// sent or the bound address, with the tenant id or domain.
fn token_endpoints(state: &State, endpoint: &Endpoint) -> Vec<String> {
    let path = match endpoint.version {
        Version::V1 => "oauth2/token",
        Version::V2 => "oauth2/v2.0/token",
    };
    let mut roots = vec![state.base_url()];
    roots.extend(endpoint.host.map(|host| format!("http://{host}")));
    let tenants = [&state.config.tenant_id, &state.config.tenant_domain];
    roots
        .iter()
        .flat_map(|root| tenants.iter().map(move |t| format!("{root}/{t}/{path}")))
        .collect()
}

/// Within `nbf` (the epoch when absent) and `exp`, give or take the skew;
/// returns the instant after which it can no longer be valid.
fn lifetime(now: OffsetDateTime, claims: &Claims) -> Result<OffsetDateTime, Rejection> {
    let expires = claims.exp.map(instant).ok_or_else(malformed)??;
    let not_before = claims
        .nbf
        .map(instant)
        .transpose()?
        .unwrap_or(OffsetDateTime::UNIX_EPOCH);
    if now <= expires + CLOCK_SKEW && not_before - CLOCK_SKEW <= now {
        return Ok(expires + CLOCK_SKEW);
    }
    Err(Rejection::invalid_client(
        700024,
        format!(
            "Client assertion is not within its valid time range. Current time: {}, assertion \
             valid from {}, expiry time of assertion {}. {DOCS}",
            entra_instant(now),
            entra_instant(not_before),
            entra_instant(expires)
        ),
    ))
}

/// A JWT NumericDate: seconds since the epoch, maybe with a fraction.
fn instant(seconds: f64) -> Result<OffsetDateTime, Rejection> {
    if !seconds.is_finite() {
        return Err(malformed());
    }
    OffsetDateTime::from_unix_timestamp(seconds.floor() as i64).map_err(|_| malformed())
}

/// A `jti`, not used before by an assertion that can still be valid.
fn not_replayed(
    state: &State,
    claims: &Claims,
    valid_until: OffsetDateTime,
) -> Result<(), Rejection> {
    if !state.config.reject_assertion_replay {
        return Ok(());
    }
    let Some(jti) = claims.jti.as_deref().filter(|jti| !jti.is_empty()) else {
        return Err(Rejection::invalid_client(
            50027,
            "JWT token is invalid or malformed. (The emulator requires a 'jti' claim.)",
        ));
    };
    if state.spend_assertion(jti, valid_until) {
        return Ok(());
    }
    Err(Rejection::invalid_client(
        50013,
        format!(
            "Assertion is invalid: the client assertion with jti '{jti}' was already used. Sign \
             a new assertion, with a new jti, for every token request. (Entra documents no \
             replay error; this check is the emulator's.)"
        ),
    ))
}
