//! Errors from the Management Activity API, with the AF code and what to do about it.

use std::fmt;

use serde::Deserialize;

use crate::auth::AuthError;
use crate::http::body_excerpt;

/// What the service said when it refused a call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceError {
    /// The HTTP status, e.g. 400, 403 or 429.
    pub status: u16,
    /// Usually an AF code such as `AF20022`; some replies carry a diagnostic string instead.
    pub code: Option<String>,
    /// The service's own explanation, or an excerpt of a body that had none (a gateway's HTML,
    /// say).
    pub message: String,
}

impl ServiceError {
    /// Reads an error body in whichever shape it came: the documented
    /// `{"error":{"code","message"}}`, the gateway's `{"Message": ..}`, HTML, or nothing.
    pub fn from_body(status: u16, body: &[u8]) -> ServiceError {
        #[derive(Deserialize)]
        struct Envelope {
            error: Option<Inner>,
            #[serde(rename = "Message", alias = "message")]
            message: Option<String>,
        }
        #[derive(Deserialize)]
        struct Inner {
            code: Option<serde_json::Value>,
            message: Option<serde_json::Value>,
        }
        let as_text = |v: serde_json::Value| match v {
            serde_json::Value::String(s) => s,
            other => other.to_string(),
        };
        if let Ok(envelope) = serde_json::from_slice::<Envelope>(body) {
            if let Some(inner) = envelope.error {
                return ServiceError {
                    status,
                    code: inner.code.map(as_text).filter(|c| !c.is_empty()),
                    message: inner.message.map(as_text).unwrap_or_default(),
                };
            }
            if let Some(message) = envelope.message {
                return ServiceError {
                    status,
                    code: None,
                    message,
                };
            }
        }
        ServiceError {
            status,
            code: None,
            message: body_excerpt(body),
        }
    }

    /// Whether the service answered with this code, e.g. `AF20024`.
    pub fn code_is(&self, code: &str) -> bool {
        self.code.as_deref() == Some(code)
    }

    /// Throttled: AF429 comes as 429, and as 403 in Microsoft's own sample.
    pub fn is_throttling(&self) -> bool {
        self.status == 429 || self.code_is("AF429")
    }

    /// Worth another try: throttling and the service's own trouble.
    pub fn is_transient(&self) -> bool {
        self.is_throttling()
            || matches!(self.status, 408 | 500 | 502 | 503 | 504)
            || self.code_is("AF50000")
    }

    /// What the admin should do, for the codes that have a known fix.
    pub fn advice(&self) -> Option<&'static str> {
        Some(match self.code.as_deref()? {
            "AF10001" => {
                "the app registration lacks the ActivityFeed.Read application permission of the \
                 Office 365 Management APIs, or admin consent was not granted: add it and grant consent"
            }
            "AF20010" => {
                "the token was issued for another tenant: AUDIT_LOGS_TENANT_ID must be the tenant the \
                 app registration lives in"
            }
            "AF20011" => {
                "the tenant does not exist for this API: check AUDIT_LOGS_TENANT_ID and AUDIT_LOGS_CLOUD"
            }
            "AF20012" => {
                "the tenant is not set up for the Management Activity API: turn on audit logging \
                 (Microsoft Purview > Audit > Start recording user and admin activity) and wait up to \
                 an hour"
            }
            "AF20013" => {
                "the tenant id is not a GUID: set AUDIT_LOGS_TENANT_ID to the Directory ID"
            }
            "AF20020" => "the content type is not one the API knows: fix AUDIT_LOGS_CONTENT_TYPES",
            "AF20022" => {
                "there is no subscription for this content type: invoke audit-subscription with \
                 {\"operation\":\"start\"}"
            }
            "AF20023" => {
                "the subscription was disabled by an admin: invoke audit-subscription with \
                 {\"operation\":\"start\"} to enable it again"
            }
            "AF20030" | "AF20055" => {
                "the time window was refused (at most 24 hours, at most 7 days back)"
            }
            "AF20031" => "the paging token was refused: list the window again from its start",
            "AF20050" | "AF20051" | "AF20052" => {
                "the content is missing or expired and cannot be fetched"
            }
            "AF429" => "throttled by the API: lower AUDIT_LOGS_CONCURRENCY or run less often",
            _ => return None,
        })
    }
}

impl fmt::Display for ServiceError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.code {
            Some(code) => write!(f, "HTTP {} {code}: {}", self.status, self.message)?,
            None => write!(f, "HTTP {}: {}", self.status, self.message)?,
        }
        if let Some(advice) = self.advice() {
            write!(f, " ({advice})")?;
        }
        Ok(())
    }
}

/// Why a Management Activity API call failed. The message names the call and, for the codes that
/// have a known fix, what the admin should do.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// The service refused the call for a reason another try does not change.
    #[error("Management API {operation} failed: {error}")]
    Service {
        /// The call, named by its path below the feed root: `subscriptions/content`, or `audit`
        /// for a blob.
        operation: &'static str,
        /// What the service answered.
        error: ServiceError,
    },
    /// Throttling, the service's own trouble or the network outlasted the retry budget
    /// (`AUDIT_LOGS_MAX_RETRIES`, `AUDIT_LOGS_RETRY_MAX_SECONDS`); a later run tries again.
    #[error("Management API {operation} still failing after {attempts} attempts: {last}")]
    RetriesExhausted {
        /// The call, named by its path below the feed root.
        operation: &'static str,
        /// Attempts made, the first one included.
        attempts: u32,
        /// The last failure, as its message.
        last: String,
        /// The last service answer, when the failure was one.
        service: Option<ServiceError>,
    },
    /// The request got no answer: no connection, a timeout, or a body cut short. It is retried,
    /// and reaches callers as the last failure of [`ApiError::RetriesExhausted`].
    #[error("Management API {operation} could not be sent: {detail}")]
    Transport {
        /// The call, named by its path below the feed root.
        operation: &'static str,
        /// What the HTTP client reported.
        detail: String,
    },
    /// A `contentUri` or `NextPageUri` names another host, scheme or port than the configured
    /// API: the token is not sent there, and nothing is fetched.
    #[error(
        "refused to send the access token to {url}: it is not on the configured API host {expected} \
         (a contentUri or NextPageUri that names another host is never followed)"
    )]
    ForeignHost {
        /// The URL refused, without its query (paging tokens stay out of logs).
        url: String,
        /// The configured API origin, e.g. `https://manage.office.com`.
        expected: String,
    },
    /// A success whose body is not what the call returns (not JSON, another shape, a `NextPageUri`
    /// that is not a URL or that loops), quoted in part.
    #[error("Management API {operation} answered with something unexpected: {detail}")]
    Malformed {
        /// The call, named by its path below the feed root.
        operation: &'static str,
        /// What was wrong, with the start of the body.
        detail: String,
    },
    /// The API refused the token again after one renewal: the app registration lacks the
    /// permission or its consent, or the token is for another audience (`AUDIT_LOGS_CLOUD`,
    /// `AUDIT_LOGS_AUDIENCE`).
    #[error("the access token was refused twice in a row for {operation}: {error}")]
    Unauthorized {
        /// The call, named by its path below the feed root.
        operation: &'static str,
        /// The second refusal.
        error: ServiceError,
    },
    /// No token: Entra refused the request or could not be reached.
    #[error(transparent)]
    Auth(#[from] AuthError),
}

impl ApiError {
    /// The service's answer, when there was one.
    pub fn service_error(&self) -> Option<&ServiceError> {
        match self {
            ApiError::Service { error, .. } | ApiError::Unauthorized { error, .. } => Some(error),
            ApiError::RetriesExhausted { service, .. } => service.as_ref(),
            _ => None,
        }
    }

    /// The service's error code, usually an AF code, when there was an answer.
    pub fn code(&self) -> Option<&str> {
        self.service_error().and_then(|e| e.code.as_deref())
    }

    /// AF20050/AF20051/AF20052: the blob is gone; count it, don't retry it.
    pub fn is_content_gone(&self) -> bool {
        matches!(self.code(), Some("AF20050" | "AF20051" | "AF20052"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documented_error_bodies_parse() {
        let e = ServiceError::from_body(
            400,
            br#"{"error":{"code":"AF20024","message":"The subscription is already enabled. No property change."}}"#,
        );
        assert!(e.code_is("AF20024"));
        assert!(e.message.contains("already enabled"));
        assert!(!e.is_transient());
    }

    #[test]
    fn throttling_in_both_statuses_is_transient() {
        for status in [429, 403] {
            let e = ServiceError::from_body(
                status,
                br#"{"error":{"code":"AF429","message":"Too many requests. Method=GetBlob, PublisherId=x"}}"#,
            );
            assert!(e.is_throttling() && e.is_transient(), "{status}");
        }
        let denied = ServiceError::from_body(403, br#"{"error":{"code":"AF20010","message":"x"}}"#);
        assert!(!denied.is_transient());
    }

    #[test]
    fn odd_bodies_still_say_something() {
        let html = ServiceError::from_body(503, b"<html><body>Service Unavailable</body></html>");
        assert_eq!(html.code, None);
        assert!(html.message.contains("Service Unavailable"));
        assert!(html.is_transient());
        assert_eq!(ServiceError::from_body(500, b"").message, "(empty body)");
        let gateway = ServiceError::from_body(
            401,
            br#"{"Message":"Authorization has been denied for this request."}"#,
        );
        assert!(gateway.message.contains("denied"));
        let stack = ServiceError::from_body(
            500,
            br#"{"error":{"code":"System.NullReferenceException: at Foo.Bar()","message":"boom"}}"#,
        );
        assert!(stack.to_string().contains("NullReferenceException"));
        let numeric = ServiceError::from_body(400, br#"{"error":{"code":42,"message":{"a":1}}}"#);
        assert_eq!(numeric.code.as_deref(), Some("42"));
    }

    #[test]
    fn advice_names_the_fix() {
        let e = ServiceError::from_body(
            400,
            br#"{"error":{"code":"AF20022","message":"No subscription found"}}"#,
        );
        assert!(e.to_string().contains(r#"{"operation":"start"}"#));
        let e = ServiceError::from_body(401, br#"{"error":{"code":"AF10001","message":"x"}}"#);
        assert!(e.to_string().contains("ActivityFeed.Read"));
    }
}
