//! The app registration's client secret: where it comes from, and a type that never prints it.

use std::fmt;

use aws_sdk_secretsmanager::error::{DisplayErrorContext, SdkError};
use aws_sdk_secretsmanager::operation::get_secret_value::GetSecretValueError;

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

/// Where the client secret is read from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SecretSource {
    /// A Secrets Manager secret (name or ARN): the analogue of the CoE kit's Key Vault reference.
    SecretsManager(String),
    /// The plain-text value from `AUDIT_LOGS_CLIENT_SECRET`.
    Plain(ClientSecret),
}

/// Why the client secret could not be read from Secrets Manager; each message says what to fix.
#[derive(Debug, thiserror::Error)]
pub enum SecretError {
    /// No secret has that name or ARN in the function's region.
    #[error(
        "the Secrets Manager secret {id:?} does not exist: create it and put the app registration's \
         client secret in it, or fix AUDIT_LOGS_CLIENT_SECRET_ARN"
    )]
    NotFound {
        /// The name or ARN from `AUDIT_LOGS_CLIENT_SECRET_ARN`.
        id: String,
    },
    /// The function's role is not allowed `secretsmanager:GetSecretValue` on the secret.
    #[error(
        "not allowed to read the Secrets Manager secret {id:?}: grant secretsmanager:GetSecretValue \
         on it to this function's role ({detail})"
    )]
    AccessDenied {
        /// The name or ARN from `AUDIT_LOGS_CLIENT_SECRET_ARN`.
        id: String,
        /// What Secrets Manager said.
        detail: String,
    },
    /// The secret holds no text, or only spaces.
    #[error(
        "the Secrets Manager secret {id:?} is empty: put the app registration's client secret in it \
         (a plain string, or JSON {{\"client_secret\": \"...\"}})"
    )]
    Empty {
        /// The name or ARN from `AUDIT_LOGS_CLIENT_SECRET_ARN`.
        id: String,
    },
    /// The secret is a JSON object (the console's key/value form) without a non-empty
    /// `client_secret` string.
    #[error(
        "the Secrets Manager secret {id:?} holds a JSON object without a non-empty \"client_secret\" \
         field: store the secret as a plain string or as {{\"client_secret\": \"...\"}}"
    )]
    MissingField {
        /// The name or ARN from `AUDIT_LOGS_CLIENT_SECRET_ARN`.
        id: String,
    },
    /// Any other failure to read it: the network, throttling, a secret scheduled for deletion.
    #[error("could not read the Secrets Manager secret {id:?}: {detail}")]
    Service {
        /// The name or ARN from `AUDIT_LOGS_CLIENT_SECRET_ARN`.
        id: String,
        /// What the SDK reported.
        detail: String,
    },
}

/// Reads the secret from Secrets Manager. The value may be the secret itself or a JSON object
/// with a `client_secret` field (what the console's key/value editor produces).
pub async fn fetch_from_secrets_manager(
    client: &aws_sdk_secretsmanager::Client,
    id: &str,
) -> Result<ClientSecret, SecretError> {
    let output = client
        .get_secret_value()
        .secret_id(id)
        .send()
        .await
        .map_err(|err| classify_sdk_error(id, err))?;
    let text = output.secret_string().unwrap_or_default();
    parse_secret_value(id, text)
}

fn classify_sdk_error(id: &str, err: SdkError<GetSecretValueError>) -> SecretError {
    let id = id.to_string();
    if let SdkError::ServiceError(service) = &err {
        match service.err() {
            GetSecretValueError::ResourceNotFoundException(_) => {
                return SecretError::NotFound { id };
            }
            other => {
                let code = aws_sdk_secretsmanager::error::ProvideErrorMetadata::code(other);
                if matches!(code, Some("AccessDeniedException") | Some("AccessDenied")) {
                    return SecretError::AccessDenied {
                        id,
                        detail: DisplayErrorContext(&err).to_string(),
                    };
                }
            }
        }
    }
    SecretError::Service {
        id,
        detail: DisplayErrorContext(&err).to_string(),
    }
}

fn parse_secret_value(id: &str, text: &str) -> Result<ClientSecret, SecretError> {
    let trimmed = text.trim();
    if trimmed.is_empty() {
        return Err(SecretError::Empty { id: id.to_string() });
    }
    if trimmed.starts_with('{') {
        // A JSON object: only its client_secret field counts. Parse errors fall through to
        // "plain string", because a secret may legitimately start with '{'.
        if let Ok(serde_json::Value::Object(map)) = serde_json::from_str(trimmed) {
            return match map.get("client_secret").and_then(|v| v.as_str()) {
                Some(value) if !value.trim().is_empty() => Ok(ClientSecret::new(value.trim())),
                _ => Err(SecretError::MissingField { id: id.to_string() }),
            };
        }
    }
    Ok(ClientSecret::new(trimmed))
}

#[cfg(test)]
mod tests {
    use super::*;

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
            parse_secret_value("x", " abc~123 \n").unwrap().expose(),
            "abc~123"
        );
        assert_eq!(
            parse_secret_value("x", r#"{"client_secret": "from-json"}"#)
                .unwrap()
                .expose(),
            "from-json"
        );
        // Not valid JSON: it is the secret itself.
        assert_eq!(parse_secret_value("x", "{abc").unwrap().expose(), "{abc");
    }

    #[test]
    fn empty_or_incomplete_values_are_named() {
        let empty = parse_secret_value("my-secret", "  ")
            .unwrap_err()
            .to_string();
        assert!(
            empty.contains("my-secret") && empty.contains("empty"),
            "{empty}"
        );
        let missing = parse_secret_value("my-secret", r#"{"secret": "x"}"#)
            .unwrap_err()
            .to_string();
        assert!(missing.contains("client_secret"), "{missing}");
        assert!(!missing.contains("\"x\""));
    }
}
