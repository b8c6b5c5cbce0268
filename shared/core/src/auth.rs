//! Entra client-credentials tokens for the Management Activity API: fetched, cached, and
//! renewed before they expire so that long runs never present an expired token.

use std::fmt;
use std::time::{Duration, Instant};

use serde::Deserialize;
use tokio::sync::Mutex;
use url::Url;

use crate::certificate::ASSERTION_TYPE;
use crate::config::{Config, TokenVersion};
use crate::http::{body_excerpt, describe_reqwest_error};
use crate::retry::{RetryPolicy, retry_after};
use crate::secret::ClientCredential;

/// A bearer token. Like the secret, it never appears in `Debug` output.
#[derive(Clone, PartialEq, Eq)]
pub struct AccessToken(String);

impl AccessToken {
    /// The token itself, for the `Authorization: Bearer` header of an API call.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for AccessToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("AccessToken(<redacted>)")
    }
}

/// Why no token could be had from Entra. A rejection's message starts with the fix when its
/// AADSTS code has a known one (a wrong or expired secret, an unknown client id or tenant).
#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    /// Entra answered with an OAuth error: most often the client id, the secret, the tenant or
    /// the resource is wrong. A 429 or 5xx that outlasted the retries also ends here.
    #[error("{}", describe_rejection(.status, .error, .description))]
    Rejected {
        /// The HTTP status, usually 400 or 401.
        status: u16,
        /// The OAuth error, e.g. `invalid_client`.
        error: String,
        /// Entra's description, which starts with the AADSTS code.
        description: String,
    },
    /// The token endpoint could not be reached, or its answer broke off, through every retry:
    /// the network, DNS, or a wrong `AUDIT_LOGS_AUTHORITY`.
    #[error("could not reach the token endpoint {url}: {detail}")]
    Transport {
        /// The token endpoint, `{authority}/{tenant}/oauth2/...`.
        url: String,
        /// What the HTTP client reported.
        detail: String,
    },
    /// The answer was neither a token nor an OAuth error: a proxy's page, say, or an
    /// `AUDIT_LOGS_AUTHORITY` that is not an Entra host.
    #[error(
        "the token endpoint {url} answered HTTP {status} with a body that is not a token reply: {detail}"
    )]
    Malformed {
        /// The token endpoint.
        url: String,
        /// The HTTP status of the answer.
        status: u16,
        /// What was wrong: the parse error and the body's size for a success (never its text,
        /// which would hold the token), an excerpt of the body otherwise.
        detail: String,
    },
}

impl AuthError {
    /// The AADSTS code, e.g. `AADSTS7000215`, when Entra gave one.
    pub fn aadsts_code(&self) -> Option<&str> {
        match self {
            AuthError::Rejected { description, .. } => aadsts_code(description),
            _ => None,
        }
    }
}

fn aadsts_code(description: &str) -> Option<&str> {
    let start = description.find("AADSTS")?;
    let rest = &description[start..];
    let end = rest
        .char_indices()
        .skip(6)
        .find(|(_, c)| !c.is_ascii_digit())
        .map_or(rest.len(), |(i, _)| i);
    (end > 6).then(|| &rest[..end])
}

fn describe_rejection(status: &u16, error: &str, description: &str) -> String {
    // Entra's descriptions run on with trace ids; the first line carries the meaning.
    let first_line = description.lines().next().unwrap_or_default().trim();
    let fix = match aadsts_code(description) {
        Some("AADSTS7000215") => {
            "the client secret is wrong: store the secret's Value (not its Secret ID) from the app \
             registration's Certificates & secrets page"
        }
        Some("AADSTS7000222") => {
            "the client secret has expired: create a new one in the app registration and store it"
        }
        Some("AADSTS700016") => {
            "the client id is not an app registration in this tenant: check AUDIT_LOGS_CLIENT_ID and \
             AUDIT_LOGS_TENANT_ID"
        }
        Some("AADSTS90002") | Some("AADSTS900023") => {
            "the tenant was not found: check AUDIT_LOGS_TENANT_ID (the Directory ID) and \
             AUDIT_LOGS_CLOUD"
        }
        Some("AADSTS700027") => {
            "the certificate is not accepted: register this certificate (its public part) on the \
             app registration's Certificates & secrets page, and store the matching key"
        }
        Some("AADSTS700024") => {
            "the client assertion is outside its valid time: check this machine's clock (the \
             assertion is valid for five minutes from its signing)"
        }
        Some("AADSTS700023") => {
            "the client assertion's audience is not this token endpoint: check the authority \
             (AUDIT_LOGS_AUTHORITY or the tenant's \"authority\") and the tenant id"
        }
        Some("AADSTS700021") | Some("AADSTS50048") => {
            "the client assertion names another app: check the client id (AUDIT_LOGS_CLIENT_ID \
             or the tenant's \"client_id\")"
        }
        Some("AADSTS50027") | Some("AADSTS5002730") | Some("AADSTS90011") => {
            "Entra could not read the client assertion: check that the authority is an Entra \
             host, and report this as a bug if it is"
        }
        Some("AADSTS7000218") => {
            "the token request carried no credential: set a certificate or a client secret"
        }
        Some("AADSTS500011") => {
            "the resource is unknown in this tenant: check AUDIT_LOGS_CLOUD / AUDIT_LOGS_AUDIENCE"
        }
        _ => "Entra refused the token request",
    };
    format!("{fix} (HTTP {status}, {error}: {first_line})")
}

#[derive(Deserialize)]
struct TokenReply {
    access_token: String,
    // v1 sends numbers as strings, v2 as numbers.
    #[serde(default, deserialize_with = "number_or_string")]
    expires_in: Option<u64>,
}

#[derive(Deserialize)]
struct TokenErrorReply {
    error: String,
    #[serde(default)]
    error_description: String,
}

fn number_or_string<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<u64>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Either {
        Number(u64),
        Text(String),
    }
    Ok(match Option::<Either>::deserialize(d)? {
        None => None,
        Some(Either::Number(n)) => Some(n),
        Some(Either::Text(s)) => Some(s.trim().parse().map_err(serde::de::Error::custom)?),
    })
}

/// How one token request ended.
enum TokenAttempt {
    /// A success status: the token, or the reason its body is not a token reply.
    Answered(Result<(AccessToken, Duration), AuthError>),
    /// Throttled or failing on Entra's side: worth another try.
    Busy {
        status: u16,
        error: AuthError,
        retry_after: Option<Duration>,
    },
    /// Not reached, or the answer broke off: worth another try.
    Unreachable(AuthError),
    /// Refused for a reason another try does not change.
    Refused(AuthError),
}

struct CachedToken {
    token: AccessToken,
    renew_at: Instant,
}

/// Fetches and caches tokens for one app registration and one resource.
pub struct TokenProvider {
    http: reqwest::Client,
    token_url: Url,
    form: Vec<(&'static str, String)>,
    client_id: String,
    credential: ClientCredential,
    retry: RetryPolicy,
    cached: Mutex<Option<CachedToken>>,
}

impl fmt::Debug for TokenProvider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenProvider")
            .field("token_url", &self.token_url.as_str())
            .finish_non_exhaustive()
    }
}

impl TokenProvider {
    /// The provider for `config`'s app registration, tenant and audience: v1 tokens ask for
    /// `resource={audience}`, v2 for `scope={audience}/.default`.
    pub fn new(
        http: reqwest::Client,
        config: &Config,
        credential: ClientCredential,
    ) -> TokenProvider {
        let audience = config.audience.as_str().trim_end_matches('/');
        let (path, resource_field) = match config.token_version {
            TokenVersion::V1 => ("oauth2/token", ("resource", audience.to_string())),
            TokenVersion::V2 => (
                "oauth2/v2.0/token",
                ("scope", format!("{audience}/.default")),
            ),
        };
        let mut token_url = config.authority.clone();
        token_url.set_path(&format!(
            "{}/{}/{}",
            config.authority.path().trim_end_matches('/'),
            config.tenant_id,
            path
        ));
        TokenProvider {
            http,
            token_url,
            form: vec![
                ("grant_type", "client_credentials".into()),
                ("client_id", config.client_id.clone()),
                resource_field,
            ],
            client_id: config.client_id.clone(),
            credential,
            retry: config.retry,
            cached: Mutex::new(None),
        }
    }

    /// Where tokens are requested: `{authority}/{tenant}/oauth2/token`, or `.../oauth2/v2.0/token`
    /// for v2.
    pub fn token_url(&self) -> &Url {
        &self.token_url
    }

    /// A token valid for a while yet: the cached one, or a new one.
    pub async fn token(&self) -> Result<AccessToken, AuthError> {
        let mut cached = self.cached.lock().await;
        if let Some(c) = cached.as_ref().filter(|c| Instant::now() < c.renew_at) {
            return Ok(c.token.clone());
        }
        let (token, lifetime) = self.request().await?;
        *cached = Some(CachedToken {
            token: token.clone(),
            renew_at: Instant::now() + renewal_point(lifetime),
        });
        Ok(token)
    }

    /// Drops `stale` from the cache after the API refused it, so the next `token()` fetches a
    /// new one. A token already replaced by another task is left alone.
    pub async fn invalidate(&self, stale: &AccessToken) {
        let mut cached = self.cached.lock().await;
        if cached.as_ref().is_some_and(|c| &c.token == stale) {
            *cached = None;
        }
    }

    /// Asks Entra for a token, retrying while it is busy or out of reach.
    async fn request(&self) -> Result<(AccessToken, Duration), AuthError> {
        let started = Instant::now();
        let mut retry = 0;
        loop {
            retry += 1;
            let delay = match self.attempt().await {
                TokenAttempt::Answered(result) => return result,
                TokenAttempt::Refused(error) => return Err(error),
                TokenAttempt::Busy {
                    status,
                    error,
                    retry_after,
                } => {
                    let delay = self.retry.next_delay(retry, started.elapsed(), retry_after);
                    let Some(delay) = delay else {
                        return Err(error);
                    };
                    tracing::warn!(status, ?delay, "token endpoint busy, retrying");
                    delay
                }
                TokenAttempt::Unreachable(error) => {
                    let delay = self.retry.next_delay(retry, started.elapsed(), None);
                    let Some(delay) = delay else {
                        return Err(error);
                    };
                    tracing::warn!(error = %error, ?delay, "token request failed, retrying");
                    delay
                }
            };
            tokio::time::sleep(delay).await;
        }
    }

    /// One token request, its answer sorted into what to do next.
    async fn attempt(&self) -> TokenAttempt {
        let mut form = self.form.clone();
        self.add_credential(&mut form);
        let outcome = self
            .http
            .post(self.token_url.clone())
            .form(&form)
            .timeout(Duration::from_secs(30))
            .send()
            .await;
        let resp = match outcome {
            Ok(resp) => resp,
            Err(err) => return TokenAttempt::Unreachable(self.transport_error(&err)),
        };
        let status = resp.status();
        let retry_after = retry_after(resp.headers());
        let body = match resp.bytes().await {
            Ok(body) => body,
            Err(err) => return TokenAttempt::Unreachable(self.transport_error(&err)),
        };
        if status.is_success() {
            return TokenAttempt::Answered(self.parse_success(status.as_u16(), &body));
        }
        let error = self.parse_failure(status.as_u16(), &body);
        if status.as_u16() == 429 || status.is_server_error() {
            TokenAttempt::Busy {
                status: status.as_u16(),
                error,
                retry_after,
            }
        } else {
            TokenAttempt::Refused(error)
        }
    }

    /// The secret, or a new assertion: each request signs its own, since Entra refuses a `jti`
    /// it has seen.
    fn add_credential(&self, form: &mut Vec<(&'static str, String)>) {
        match &self.credential {
            ClientCredential::Secret(secret) => {
                form.push(("client_secret", secret.expose().to_string()));
            }
            ClientCredential::Certificate(certificate) => {
                let now = time::OffsetDateTime::now_utc();
                let assertion =
                    certificate.assertion(&self.client_id, self.token_url.as_str(), now);
                form.push(("client_assertion_type", ASSERTION_TYPE.to_string()));
                form.push(("client_assertion", assertion));
            }
        }
    }

    fn transport_error(&self, err: &reqwest::Error) -> AuthError {
        AuthError::Transport {
            url: self.token_url.to_string(),
            detail: describe_reqwest_error(err),
        }
    }

    fn parse_success(
        &self,
        status: u16,
        body: &[u8],
    ) -> Result<(AccessToken, Duration), AuthError> {
        // Never echo a success body: it holds the token.
        let reply: TokenReply =
            serde_json::from_slice(body).map_err(|err| AuthError::Malformed {
                url: self.token_url.to_string(),
                status,
                detail: format!("{err} ({} bytes)", body.len()),
            })?;
        if reply.access_token.is_empty() {
            return Err(AuthError::Malformed {
                url: self.token_url.to_string(),
                status,
                detail: "empty access_token".into(),
            });
        }
        let lifetime = token_lifetime(reply.expires_in);
        tracing::debug!(lifetime_secs = lifetime.as_secs(), "new access token");
        Ok((AccessToken(reply.access_token), lifetime))
    }

    fn parse_failure(&self, status: u16, body: &[u8]) -> AuthError {
        match serde_json::from_slice::<TokenErrorReply>(body) {
            Ok(reply) => AuthError::Rejected {
                status,
                error: reply.error,
                description: reply.error_description,
            },
            Err(_) => AuthError::Malformed {
                url: self.token_url.to_string(),
                status,
                detail: body_excerpt(body),
            },
        }
    }
}

/// The lifetime Entra gave, clamped to a day: Entra's tokens last about an hour, and a huge
/// `expires_in` must neither overflow the clock nor keep a token past its real expiry for long.
fn token_lifetime(expires_in: Option<u64>) -> Duration {
    const MAX_LIFETIME_SECS: u64 = 24 * 3600;
    Duration::from_secs(expires_in.unwrap_or(3599).min(MAX_LIFETIME_SECS))
}

/// When to fetch a new token: five minutes before expiry, or after three quarters of the
/// lifetime for short-lived tokens, so a request never leaves with a token about to lapse.
fn renewal_point(lifetime: Duration) -> Duration {
    let margin = Duration::from_secs(300).min(lifetime / 4);
    lifetime.saturating_sub(margin)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lifetimes_are_clamped_so_the_clock_cannot_overflow() {
        assert_eq!(token_lifetime(None), Duration::from_secs(3599));
        assert_eq!(token_lifetime(Some(3600)), Duration::from_secs(3600));
        assert_eq!(
            token_lifetime(Some(u64::MAX)),
            Duration::from_secs(24 * 3600)
        );
        // What the cache computes from it must not panic.
        let _ = std::time::Instant::now() + renewal_point(token_lifetime(Some(u64::MAX)));
    }

    #[test]
    fn v1_strings_and_v2_numbers_both_parse() {
        let v1: TokenReply = serde_json::from_str(
            r#"{"token_type":"Bearer","expires_in":"3599","expires_on":"1700000000","resource":"r","access_token":"abc"}"#,
        )
        .unwrap();
        assert_eq!(v1.expires_in, Some(3599));
        let v2: TokenReply = serde_json::from_str(
            r#"{"token_type":"Bearer","expires_in":3599,"access_token":"abc"}"#,
        )
        .unwrap();
        assert_eq!(v2.expires_in, Some(3599));
    }

    #[test]
    fn renewal_leaves_a_margin() {
        assert_eq!(
            renewal_point(Duration::from_secs(3600)),
            Duration::from_secs(3300)
        );
        assert_eq!(
            renewal_point(Duration::from_secs(60)),
            Duration::from_secs(45)
        );
        assert_eq!(renewal_point(Duration::ZERO), Duration::ZERO);
    }

    #[test]
    fn wrong_secret_is_named() {
        let err = AuthError::Rejected {
            status: 401,
            error: "invalid_client".into(),
            description: "AADSTS7000215: Invalid client secret provided.\r\nTrace ID: 1".into(),
        };
        assert_eq!(err.aadsts_code(), Some("AADSTS7000215"));
        let text = err.to_string();
        assert!(
            text.contains("client secret is wrong") && text.contains("AADSTS7000215"),
            "{text}"
        );
        assert!(!text.contains("Trace ID"));
    }

    #[test]
    fn token_debug_is_redacted() {
        assert_eq!(
            format!("{:?}", AccessToken("eyJ0".into())),
            "AccessToken(<redacted>)"
        );
    }
}
