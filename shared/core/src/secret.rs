//! The app registration's credential (a client secret, or a certificate and its key): where it
//! comes from, and types that never print it.

use std::fmt;
use std::sync::Arc;

use aws_sdk_secretsmanager::error::{DisplayErrorContext, SdkError};
use aws_sdk_secretsmanager::operation::get_secret_value::GetSecretValueError;
use time::OffsetDateTime;

use crate::certificate::{CertificateError, ClientCertificate};

/// A client secret. `Debug` is redacted and there is no `Display`, so the value cannot reach
/// a log line or an error message by accident; `expose` is the one way to read it.
#[derive(Clone, PartialEq, Eq)]
pub struct ClientSecret(String);

impl ClientSecret {
    /// Wraps a secret value as read from its source.
    pub fn new(value: impl Into<String>) -> Self {
        ClientSecret(value.into())
    }

    /// The value itself, for the one place that sends it: the token request's form.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for ClientSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ClientSecret(<redacted>)")
    }
}

/// Where the app registration's credential comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SecretSource {
    /// A Secrets Manager secret (name or ARN) holding the client secret: the analogue of the
    /// CoE kit's Key Vault reference.
    SecretsManager(SecretRef),
    /// The plain-text value from `AUDIT_LOGS_CLIENT_SECRET`.
    Plain(ClientSecret),
    /// A Secrets Manager secret holding the certificate and its private key as PEM.
    Certificate(SecretRef),
}

impl SecretSource {
    /// `secret` or `certificate`, as replies and logs name the kind of credential.
    pub fn kind(&self) -> &'static str {
        match self {
            SecretSource::Certificate(_) => "certificate",
            _ => "secret",
        }
    }
}

/// The credential the token requests present: a client secret, or a certificate that signs
/// a client assertion.
#[derive(Debug, Clone)]
pub enum ClientCredential {
    /// `client_secret=`.
    Secret(ClientSecret),
    /// `client_assertion=` signed with this certificate's key.
    Certificate(Arc<ClientCertificate>),
}

impl SecretRef {
    /// The secret `id`, named by `named_by`.
    pub fn new(id: impl Into<String>, named_by: impl Into<String>) -> SecretRef {
        SecretRef {
            id: id.into(),
            named_by: named_by.into(),
        }
    }
}

/// A Secrets Manager secret as errors name it: its id, and where it was named.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SecretRef {
    /// The name or ARN.
    pub id: String,
    /// The variable (or registry field) that named it, e.g. `AUDIT_LOGS_CLIENT_SECRET_ARN`.
    pub named_by: String,
}

impl fmt::Display for SecretRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?} (named by {})", self.id, self.named_by)
    }
}

/// Why the credential could not be read from Secrets Manager; each message says what to fix.
#[derive(Debug, thiserror::Error)]
pub enum SecretError {
    /// No secret has that name or ARN in the function's region.
    #[error(
        "the Secrets Manager secret {secret} does not exist: create it and store the app \
         registration's credential in it, or fix {named_by}", named_by = .secret.named_by
    )]
    NotFound {
        /// The secret.
        secret: SecretRef,
    },
    /// The function's role is not allowed `secretsmanager:GetSecretValue` on the secret.
    #[error(
        "not allowed to read the Secrets Manager secret {secret}: grant secretsmanager:GetSecretValue \
         on it to this function's role ({detail})"
    )]
    AccessDenied {
        /// The secret.
        secret: SecretRef,
        /// What Secrets Manager said.
        detail: String,
    },
    /// The secret holds no text, or only spaces.
    #[error(
        "the Secrets Manager secret {secret} is empty: put the app registration's client secret in it \
         (a plain string, or JSON {{\"client_secret\": \"...\"}}), or for a certificate its PEM"
    )]
    Empty {
        /// The secret.
        secret: SecretRef,
    },
    /// The secret is a JSON object (the console's key/value form) without a non-empty
    /// `client_secret` string.
    #[error(
        "the Secrets Manager secret {secret} holds a JSON object without a non-empty \"client_secret\" \
         field: store the secret as a plain string or as {{\"client_secret\": \"...\"}}"
    )]
    MissingField {
        /// The secret.
        secret: SecretRef,
    },
    /// The secret does not hold a usable certificate and private key.
    #[error("the Secrets Manager secret {secret} is not a usable certificate: {problem}")]
    Certificate {
        /// The secret.
        secret: SecretRef,
        /// What is wrong with it.
        problem: CertificateError,
    },
    /// Any other failure to read it: the network, throttling, a secret scheduled for deletion.
    #[error("could not read the Secrets Manager secret {secret}: {detail}")]
    Service {
        /// The secret.
        secret: SecretRef,
        /// What the SDK reported.
        detail: String,
    },
}

/// Reads the client secret from Secrets Manager. The value may be the secret itself or a JSON
/// object with a `client_secret` field (what the console's key/value editor produces).
pub async fn fetch_from_secrets_manager(
    client: &aws_sdk_secretsmanager::Client,
    secret: &SecretRef,
) -> Result<ClientSecret, SecretError> {
    let text = fetch_text(client, secret).await?;
    parse_secret_value(secret, &text)
}

/// Reads the certificate and its key from Secrets Manager, once per cold start.
pub async fn fetch_certificate(
    client: &aws_sdk_secretsmanager::Client,
    secret: &SecretRef,
) -> Result<ClientCertificate, SecretError> {
    let text = fetch_text(client, secret).await?;
    if text.trim().is_empty() {
        return Err(SecretError::Empty {
            secret: secret.clone(),
        });
    }
    ClientCertificate::from_text(&text, OffsetDateTime::now_utc()).map_err(|problem| {
        SecretError::Certificate {
            secret: secret.clone(),
            problem,
        }
    })
}

async fn fetch_text(
    client: &aws_sdk_secretsmanager::Client,
    secret: &SecretRef,
) -> Result<String, SecretError> {
    let output = client
        .get_secret_value()
        .secret_id(&secret.id)
        .send()
        .await
        .map_err(|err| classify_sdk_error(secret, err))?;
    Ok(output.secret_string().unwrap_or_default().to_string())
}

fn classify_sdk_error(secret: &SecretRef, err: SdkError<GetSecretValueError>) -> SecretError {
    let secret = secret.clone();
    if let SdkError::ServiceError(service) = &err {
        match service.err() {
            GetSecretValueError::ResourceNotFoundException(_) => {
                return SecretError::NotFound { secret };
            }
            other => {
                let code = aws_sdk_secretsmanager::error::ProvideErrorMetadata::code(other);
                if matches!(code, Some("AccessDeniedException") | Some("AccessDenied")) {
                    return SecretError::AccessDenied {
                        secret,
                        detail: DisplayErrorContext(&err).to_string(),
                    };
                }
            }
        }
    }
    SecretError::Service {
        secret,
        detail: DisplayErrorContext(&err).to_string(),
    }
}

fn parse_secret_value(secret: &SecretRef, text: &str) -> Result<ClientSecret, SecretError> {
    let trimmed = text.trim();
    if trimmed.is_empty() {
        return Err(SecretError::Empty {
            secret: secret.clone(),
        });
    }
    if trimmed.starts_with('{') {
        // A JSON object: only its client_secret field counts. Parse errors fall through to
        // "plain string", because a secret may legitimately start with '{'.
        if let Ok(serde_json::Value::Object(map)) = serde_json::from_str(trimmed) {
            return match map.get("client_secret").and_then(|v| v.as_str()) {
                Some(value) if !value.trim().is_empty() => Ok(ClientSecret::new(value.trim())),
                _ => Err(SecretError::MissingField {
                    secret: secret.clone(),
                }),
            };
        }
    }
    Ok(ClientSecret::new(trimmed))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn x() -> SecretRef {
        SecretRef {
            id: "my-secret".into(),
            named_by: "AUDIT_LOGS_CLIENT_SECRET_ARN".into(),
        }
    }

    #[test]
    fn debug_never_shows_the_value() {
        let secret = ClientSecret::new("s3cr3t-value");
        assert_eq!(format!("{secret:?}"), "ClientSecret(<redacted>)");
        let source = SecretSource::Plain(secret);
        assert!(!format!("{source:?}").contains("s3cr3t"));
    }

    #[test]
    fn plain_and_json_values_are_accepted() {
        assert_eq!(
            parse_secret_value(&x(), " abc~123 \n").unwrap().expose(),
            "abc~123"
        );
        assert_eq!(
            parse_secret_value(&x(), r#"{"client_secret": "from-json"}"#)
                .unwrap()
                .expose(),
            "from-json"
        );
        // Not valid JSON: it is the secret itself.
        assert_eq!(parse_secret_value(&x(), "{abc").unwrap().expose(), "{abc");
    }

    #[test]
    fn empty_or_incomplete_values_are_named() {
        let empty = parse_secret_value(&x(), "  ").unwrap_err().to_string();
        assert!(
            empty.contains("my-secret") && empty.contains("empty"),
            "{empty}"
        );
        let missing = parse_secret_value(&x(), r#"{"secret": "x"}"#)
            .unwrap_err()
            .to_string();
        assert!(missing.contains("client_secret"), "{missing}");
        assert!(!missing.contains("\"x\""));
    }
}
