//! Listing one window page by page, so a caller holds one page at a time whatever the window
//! holds, and can stop between pages.

use std::collections::HashSet;

use audit_records::{UtcStyle, format_utc};
use url::Url;

use super::operation::Operation;
use super::reply::{next_page, parse_json};
use super::{ApiError, ContentBlob, ManagementClient, TimeWindow};
use crate::config::ContentType;

/// Pages one window's listing may have. A day of the largest tenants is a few thousand pages;
/// past this the paging is broken, not long.
pub const MAX_PAGES_PER_WINDOW: usize = 20_000;
/// Entries one page may list. The service sends a few hundred at most.
pub const MAX_BLOBS_PER_PAGE: usize = 100_000;

/// The pages of one window's listing, read on demand.
pub struct ContentPages<'c> {
    client: &'c ManagementClient,
    next: Option<Url>,
    /// Every page URL read, so a `NextPageUri` that loops back is caught.
    seen: HashSet<String>,
}

impl ManagementClient {
    /// The listing of `window`, to be read with [`ContentPages::next_page`].
    pub fn content_pages(
        &self,
        content_type: &ContentType,
        window: TimeWindow,
    ) -> ContentPages<'_> {
        let start = format_utc(window.start(), UtcStyle::Query);
        let end = format_utc(window.end(), UtcStyle::Query);
        let query = [
            ("contentType", content_type.as_str()),
            ("startTime", &start),
            ("endTime", &end),
        ];
        ContentPages {
            client: self,
            next: Some(self.feed_url(Operation::ListContent, &query)),
            seen: HashSet::new(),
        }
    }
}

impl ContentPages<'_> {
    /// The next page, following `NextPageUri`; `None` after the last one.
    pub async fn next_page(&mut self) -> Option<Result<Vec<ContentBlob>, ApiError>> {
        let url = self.next.take()?;
        Some(self.read(url).await)
    }

    async fn read(&mut self, url: Url) -> Result<Vec<ContentBlob>, ApiError> {
        let operation = Operation::ListContent;
        if self.seen.len() >= MAX_PAGES_PER_WINDOW {
            return Err(ApiError::Malformed {
                operation: operation.as_str(),
                detail: format!(
                    "the listing of one window ran past {MAX_PAGES_PER_WINDOW} pages; its \
                     NextPageUri chain does not end"
                ),
            });
        }
        if !self.seen.insert(url.to_string()) {
            return Err(ApiError::Malformed {
                operation: operation.as_str(),
                detail: format!("NextPageUri {url} points back at a page already read"),
            });
        }
        let (headers, body) = self.client.send(operation, url).await?;
        self.next = next_page(&headers)?.map(|url| self.client.with_publisher(url));
        let page: Vec<ContentBlob> = parse_json(&body, operation)?;
        if page.len() > MAX_BLOBS_PER_PAGE {
            return Err(ApiError::Malformed {
                operation: operation.as_str(),
                detail: format!(
                    "one page listed {} blobs, more than the {MAX_BLOBS_PER_PAGE} a page can hold",
                    page.len()
                ),
            });
        }
        Ok(page)
    }
}
