//! The one place where the core's errors become what a caller of a function sees: an
//! `errorType` that says which part failed and an `errorMessage` that says what to fix.

use audit_core::api::ApiError;
use audit_core::auth::AuthError;
use audit_core::config::ConfigError;
use audit_core::report::RequestError as ReportRequestError;
use audit_core::report::publish::PublishError;
use audit_core::secret::SecretError;
use audit_core::store::StoreError;
use audit_core::subscription::RequestError as SubscriptionRequestError;
use audit_core::sync::{ModeError, SyncError};
use audit_core::tenant::TenantError;
use lambda_runtime::Diagnostic;
use serde_json::Value;

use crate::event::EventError;

/// An error as the caller sees it: a type (`ConfigError`, `ApiError`, ...) and a message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct ErrorReply {
    /// Which part failed: `InputError`, `ConfigError`, `SecretError`, `AuthError`, `ApiError`,
    /// `StoreError`, `LockedError` or `PublishError`.
    pub error_type: &'static str,
    /// What is wrong and what to do.
    pub message: String,
}

impl ErrorReply {
    fn new(error_type: &'static str, err: impl std::fmt::Display) -> ErrorReply {
        ErrorReply {
            error_type,
            message: err.to_string(),
        }
    }

    /// The reply Lambda gives, as the command line prints it.
    pub fn to_json(&self) -> Value {
        serde_json::json!({ "errorType": self.error_type, "errorMessage": self.message })
    }
}

impl From<ErrorReply> for Diagnostic {
    fn from(err: ErrorReply) -> Diagnostic {
        Diagnostic {
            error_type: err.error_type.to_string(),
            error_message: err.message,
        }
    }
}

/// `From` for each error whose reply has one fixed type.
macro_rules! reply_type {
    ($($error:ty => $error_type:literal),* $(,)?) => {$(
        impl From<$error> for ErrorReply {
            fn from(err: $error) -> ErrorReply {
                ErrorReply::new($error_type, err)
            }
        }
    )*};
}

reply_type! {
    EventError => "InputError",
    ModeError => "InputError",
    SubscriptionRequestError => "InputError",
    ReportRequestError => "InputError",
    ConfigError => "ConfigError",
    SecretError => "SecretError",
    AuthError => "AuthError",
    StoreError => "StoreError",
    PublishError => "PublishError",
}

impl From<ApiError> for ErrorReply {
    fn from(err: ApiError) -> ErrorReply {
        match err {
            ApiError::Auth(auth) => auth.into(),
            other => ErrorReply::new("ApiError", other),
        }
    }
}

impl From<TenantError> for ErrorReply {
    fn from(err: TenantError) -> ErrorReply {
        match err {
            TenantError::Config(config) => config.into(),
            TenantError::Store(store) => store.into(),
            other => ErrorReply::new("InputError", other),
        }
    }
}

impl From<SyncError> for ErrorReply {
    fn from(err: SyncError) -> ErrorReply {
        match err {
            SyncError::Api(api) => api.into(),
            SyncError::Store(store) => store.into(),
            SyncError::Locked { .. } => ErrorReply::new("LockedError", err),
            SyncError::Credentials(_) => ErrorReply::new("AuthError", err),
            SyncError::Input(message) => ErrorReply::new("InputError", message),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_error_keeps_its_type_and_message() {
        let config = ConfigError::Missing {
            var: "AUDIT_LOGS_TENANT_ID",
            expected: "a GUID",
        };
        let reply = ErrorReply::from(config);
        assert_eq!(reply.error_type, "ConfigError");
        assert_eq!(
            reply.to_json(),
            serde_json::json!({
                "errorType": "ConfigError",
                "errorMessage": "AUDIT_LOGS_TENANT_ID is not set: expected a GUID"
            })
        );
        let locked = ErrorReply::from(SyncError::Locked { lease_secs: 60 });
        assert_eq!(locked.error_type, "LockedError");
        assert!(locked.message.contains("60 s"), "{}", locked.message);
    }
}
