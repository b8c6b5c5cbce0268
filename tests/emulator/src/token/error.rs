//! Entra's errors: a refused token request, and the body Entra answers with
//! (the AADSTS code, its text with the trace lines Entra appends, the fields
//! in Entra's order).

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use super::random_guid;
use crate::faults::json_response;
use crate::timefmt::entra_timestamp;

#[derive(Serialize)]
struct EntraError {
    error: String,
    /// Ends with the trace lines Entra appends.
    error_description: String,
    error_codes: [u32; 1],
    timestamp: String,
    trace_id: String,
    correlation_id: String,
    error_uri: String,
}

pub(crate) fn entra_error(status: StatusCode, error: &str, code: u32, text: &str) -> Response {
    let trace_id = random_guid();
    let correlation_id = random_guid();
    let timestamp = entra_timestamp(time::OffsetDateTime::now_utc());
    let body = EntraError {
        error: error.to_string(),
        error_description: format!(
            "AADSTS{code}: {text}\r\nTrace ID: {trace_id}\r\nCorrelation ID: {correlation_id}\r\nTimestamp: {timestamp}"
        ),
        error_codes: [code],
        timestamp,
        trace_id,
        correlation_id,
        error_uri: format!("https://login.microsoftonline.com/error?code={code}"),
    };
    json_response(status, &body)
}

/// Why a token request was refused; answered as Entra's error body.
pub(super) struct Rejection {
    status: StatusCode,
    error: &'static str,
    code: u32,
    text: String,
}

impl Rejection {
    pub fn bad_request(error: &'static str, code: u32, text: impl Into<String>) -> Self {
        Rejection {
            status: StatusCode::BAD_REQUEST,
            error,
            code,
            text: text.into(),
        }
    }

    /// The client named the app, but sent no credential or one that does not prove it.
    pub fn invalid_client(code: u32, text: impl Into<String>) -> Self {
        Rejection {
            status: StatusCode::UNAUTHORIZED,
            error: "invalid_client",
            code,
            text: text.into(),
        }
    }

    pub fn missing_parameter(name: &str) -> Self {
        Rejection::bad_request(
            "invalid_request",
            900144,
            format!("The request body must contain the following parameter: '{name}'."),
        )
    }
}

impl IntoResponse for Rejection {
    fn into_response(self) -> Response {
        entra_error(self.status, self.error, self.code, &self.text)
    }
}
