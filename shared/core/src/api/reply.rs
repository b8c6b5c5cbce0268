//! What the API answers: subscriptions, listed content and the link to the next page.

use reqwest::header::HeaderMap;
use serde::{Deserialize, Serialize};
use url::Url;

use super::error::ApiError;
use super::operation::Operation;
use crate::http::body_excerpt;

/// A subscription as `subscriptions/list` and `subscriptions/start` report it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Subscription {
    /// The content type, e.g. `Audit.General`.
    #[serde(rename = "contentType")]
    pub content_type: String,
    /// `enabled` or `disabled`, as the API spells it (letter case varies).
    pub status: String,
    /// The webhook the subscription notifies, if one was set up; this product polls and sets none.
    #[serde(default)]
    pub webhook: Option<serde_json::Value>,
}

/// What `start` did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StartOutcome {
    /// The subscription is on now, as the API reports it.
    Started(Subscription),
    /// AF20024: it was already on. For the admin this is success.
    AlreadyEnabled,
}

/// One blob of content, as listed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContentBlob {
    /// The content type the blob belongs to.
    #[serde(rename = "contentType")]
    pub content_type: String,
    /// The blob's id: the ledger records it once the blob is settled, so a blob listed again is
    /// not fetched again.
    #[serde(rename = "contentId")]
    pub content_id: String,
    /// Where the blob is fetched from; it must be on the configured API host, or the token is not
    /// sent.
    #[serde(rename = "contentUri")]
    pub content_uri: String,
    /// When the content was made available, e.g. `2026-05-23T17:35:00.000Z`; it places the blob in
    /// time for the watermark.
    #[serde(rename = "contentCreated")]
    pub content_created: String,
    /// When the API stops serving the blob (about 7 days after `contentCreated`); the blob's
    /// ledger entry is kept a day longer.
    #[serde(rename = "contentExpiration", default)]
    pub content_expiration: Option<String>,
}

/// Everything listed for one window, over all its pages.
#[derive(Debug, Default)]
pub struct ContentListing {
    /// Every blob listed, in the API's order, possibly with repeats.
    pub blobs: Vec<ContentBlob>,
    /// Entries that could not be read, and why (see [`super::ListedPage`]).
    pub unreadable: Vec<String>,
    /// Pages read, the first one included.
    pub pages: u32,
}

/// The next page's URL, from `NextPageUri` (or `NextPageUrl`, as one page of Microsoft's
/// reference spells it). An empty header means "no more pages".
pub(super) fn next_page(headers: &HeaderMap) -> Result<Option<Url>, ApiError> {
    let malformed = |detail: String| ApiError::Malformed {
        operation: Operation::ListContent.as_str(),
        detail,
    };
    let header = headers
        .get("NextPageUri")
        .or_else(|| headers.get("NextPageUrl"));
    let Some(value) = header else { return Ok(None) };
    let text = value
        .to_str()
        .map_err(|_| malformed("NextPageUri is not text".into()))?;
    if text.trim().is_empty() {
        return Ok(None);
    }
    Url::parse(text.trim())
        .map(Some)
        .map_err(|err| malformed(format!("NextPageUri {text:?} is not a URL: {err}")))
}

/// Reads a JSON answer; a body that is not the expected shape is quoted in the error.
pub(super) fn parse_json<T: serde::de::DeserializeOwned>(
    body: &[u8],
    operation: Operation,
) -> Result<T, ApiError> {
    serde_json::from_slice(body).map_err(|err| ApiError::Malformed {
        operation: operation.as_str(),
        detail: format!("{err}; the body began: {}", body_excerpt(body)),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    fn headers(name: &'static str, value: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(name, HeaderValue::from_str(value).unwrap());
        headers
    }

    #[test]
    fn next_page_reads_either_spelling_and_empty_means_last() {
        let next = next_page(&headers("NextPageUri", "https://x.test/feed?nextPage=2")).unwrap();
        assert_eq!(next.unwrap().as_str(), "https://x.test/feed?nextPage=2");
        let next = next_page(&headers("NextPageUrl", "https://x.test/feed?nextPage=3")).unwrap();
        assert!(next.is_some());
        assert_eq!(next_page(&headers("NextPageUri", "  ")).unwrap(), None);
        assert_eq!(next_page(&HeaderMap::new()).unwrap(), None);
    }

    #[test]
    fn a_next_page_that_is_not_a_url_is_malformed() {
        let err = next_page(&headers("NextPageUri", "page 2")).unwrap_err();
        assert!(matches!(
            err,
            ApiError::Malformed {
                operation: "subscriptions/content",
                ..
            }
        ));
    }

    #[test]
    fn unexpected_json_names_the_operation_and_quotes_the_body() {
        let err = parse_json::<Vec<ContentBlob>>(b"<html>busy</html>", Operation::ListContent)
            .unwrap_err();
        let text = err.to_string();
        assert!(text.contains("subscriptions/content") && text.contains("<html>busy</html>"));
    }
}
