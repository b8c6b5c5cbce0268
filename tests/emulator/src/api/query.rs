//! Query parameters as the API reads them, and the `contentType` every
//! subscription and listing call names.

use super::error::ApiError;
use crate::content_type::ContentType;

/// Query parameters, looked up case-insensitively as ASP.NET does.
pub(crate) struct QueryParams(Vec<(String, String)>);

impl QueryParams {
    pub fn parse(raw: Option<&str>) -> Self {
        QueryParams(
            url::form_urlencoded::parse(raw.unwrap_or("").as_bytes())
                .into_owned()
                .collect(),
        )
    }

    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(key, _)| key.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.as_str())
    }
}

pub(super) fn content_type_param(query: &QueryParams) -> Result<ContentType, ApiError> {
    let raw = query
        .get("contentType")
        .ok_or_else(|| ApiError::bad_request("AF20001", "Missing parameter: contentType."))?;
    raw.parse()
        .map_err(|_| ApiError::bad_request("AF20020", "The specified content type is not valid."))
}
