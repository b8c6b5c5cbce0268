//! Listing one window page by page, so a caller holds one page at a time whatever the window
//! holds, and can stop between pages.

use std::collections::HashSet;

use audit_records::{UtcStyle, format_utc};
use url::Url;

use super::operation::Operation;
use super::reply::{next_page, parse_json};
use super::{ApiError, ContentBlob, ManagementClient, TimeWindow};
use crate::config::ContentType;
use crate::http::body_excerpt;
use serde_json::value::RawValue;

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
    pub async fn next_page(&mut self) -> Option<Result<ListedPage, ApiError>> {
        let url = self.next.take()?;
        Some(self.read(url).await)
    }

    async fn read(&mut self, url: Url) -> Result<ListedPage, ApiError> {
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
        let entries: Vec<Box<RawValue>> = parse_json(&body, operation)?;
        if entries.len() > MAX_BLOBS_PER_PAGE {
            return Err(ApiError::Malformed {
                operation: operation.as_str(),
                detail: format!(
                    "one page listed {} blobs, more than the {MAX_BLOBS_PER_PAGE} a page can hold",
                    entries.len()
                ),
            });
        }
        Ok(ListedPage::read(&entries))
    }
}

/// One page of a listing: the blobs it lists, and the entries that could not be read.
#[derive(Debug, Default)]
pub struct ListedPage {
    /// The entries read.
    pub blobs: Vec<ContentBlob>,
    /// Why each unreadable entry could not be read, with its beginning. Such an entry names no
    /// blob that could be fetched, so it is skipped (and counted), not the page.
    pub unreadable: Vec<String>,
}

impl ListedPage {
    fn read(entries: &[Box<RawValue>]) -> ListedPage {
        let mut page = ListedPage::default();
        for (index, entry) in entries.iter().enumerate() {
            match serde_json::from_str::<ContentBlob>(entry.get()) {
                Ok(blob) => page.blobs.push(blob),
                Err(err) => page.unreadable.push(format!(
                    "entry {index}: {err}; it began: {}",
                    body_excerpt(entry.get().as_bytes())
                )),
            }
        }
        page
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unreadable_entry_is_skipped_and_said_why() {
        let body = r#"[{"contentType":"Audit.General","contentId":42},
            {"contentType":"Audit.General","contentId":"a$b$c$d$e","contentUri":"https://manage.office.com/x",
             "contentCreated":"2026-11-24T10:00:00.000Z"}, 7]"#;
        let entries: Vec<Box<RawValue>> = serde_json::from_str(body).unwrap();
        let page = ListedPage::read(&entries);
        assert_eq!(page.blobs.len(), 1);
        assert_eq!(page.blobs[0].content_id, "a$b$c$d$e");
        assert_eq!(page.unreadable.len(), 2);
        assert!(
            page.unreadable[0].starts_with("entry 0: invalid type"),
            "{:?}",
            page.unreadable
        );
        assert!(
            page.unreadable[1].starts_with("entry 2:"),
            "{:?}",
            page.unreadable
        );
    }
}
