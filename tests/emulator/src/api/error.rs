//! An API failure, answered the way the real service does.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use crate::faults::{af_error, json_response};

#[derive(Debug)]
pub(crate) enum ApiError {
    /// Missing, unknown or expired bearer token.
    Unauthorized,
    /// A path outside the API's versions.
    NotFound,
    Af {
        status: StatusCode,
        code: &'static str,
        message: String,
    },
}

impl ApiError {
    pub fn bad_request(code: &'static str, message: impl Into<String>) -> Self {
        ApiError::Af {
            status: StatusCode::BAD_REQUEST,
            code,
            message: message.into(),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        match self {
            ApiError::Unauthorized => {
                let mut response = json_response(
                    StatusCode::UNAUTHORIZED,
                    &json!({"Message": "Authorization has been denied for this request."}),
                );
                response
                    .headers_mut()
                    .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
                response
            }
            ApiError::NotFound => StatusCode::NOT_FOUND.into_response(),
            ApiError::Af {
                status,
                code,
                message,
            } => af_error(status, code, &message),
        }
    }
}
