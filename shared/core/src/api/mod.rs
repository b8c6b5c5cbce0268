//! Client for the Office 365 Management Activity API.
//!
//! Every call carries the PublisherIdentifier (it selects the throttling quota), is retried with
//! backoff on throttling and service trouble, renews the token once on a 401, and goes only to
//! the configured API host: the token is never sent where a `contentUri` or `NextPageUri` points
//! if that is anywhere else.

mod address;
mod call;
mod counters;
mod error;
mod operation;
mod pages;
mod reply;
mod window;

use std::sync::Arc;

use reqwest::Response;
use url::Url;

pub use counters::{ApiCounters, ApiCounts};
pub use error::{ApiError, ServiceError};
pub use pages::{ContentPages, ListedPage};
pub use reply::{ContentBlob, ContentListing, StartOutcome, Subscription};
pub use window::{MAX_WINDOW, RETENTION, TimeWindow, parse_api_time};

/// Kept at this path for the client's tests, which build it the way the functions do.
pub use crate::http::http_client;

use crate::auth::TokenProvider;
use crate::config::{Config, ContentType};
use crate::retry::RetryPolicy;
use call::Streamed;
use operation::Operation;
use reply::parse_json;

/// The Management Activity API client of one tenant, built once per cold start and shared by
/// every call of the process (its token cache and counters with it).
#[derive(Debug)]
pub struct ManagementClient {
    http: reqwest::Client,
    tokens: Arc<TokenProvider>,
    /// `{audience}/api/v1.0/{tenant}/activity/feed`
    feed_root: Url,
    publisher_id: String,
    retry: RetryPolicy,
    counters: Arc<ApiCounters>,
}

impl ManagementClient {
    /// The client for `config`'s tenant, cloud and publisher, using `tokens` for every call.
    pub fn new(
        http: reqwest::Client,
        config: &Config,
        tokens: Arc<TokenProvider>,
    ) -> ManagementClient {
        ManagementClient {
            http,
            tokens,
            feed_root: address::feed_root(&config.audience, &config.tenant_id),
            publisher_id: config.publisher_id.clone(),
            retry: config.retry,
            counters: Arc::new(ApiCounters::default()),
        }
    }

    /// The counts of calls, retries, throttled answers and token renewals since the client was
    /// built; the run summary reports their growth over one run.
    pub fn counters(&self) -> &ApiCounters {
        &self.counters
    }

    /// Starts the subscription to `content_type`, so content is collected for it from now on.
    /// `AF20024` (it is already on) comes back as [`StartOutcome::AlreadyEnabled`].
    pub async fn start_subscription(
        &self,
        content_type: &ContentType,
    ) -> Result<StartOutcome, ApiError> {
        let operation = Operation::StartSubscription;
        let url = self.feed_url(operation, &[("contentType", content_type.as_str())]);
        match self.send(operation, url).await {
            Ok((_, body)) => Ok(StartOutcome::Started(parse_json(&body, operation)?)),
            Err(err) if err.code() == Some("AF20024") => Ok(StartOutcome::AlreadyEnabled),
            Err(err) => Err(err),
        }
    }

    /// Stops the subscription to `content_type`; until it is started again, nothing of that type
    /// can be listed.
    pub async fn stop_subscription(&self, content_type: &ContentType) -> Result<(), ApiError> {
        let operation = Operation::StopSubscription;
        let url = self.feed_url(operation, &[("contentType", content_type.as_str())]);
        self.send(operation, url).await?;
        Ok(())
    }

    /// Every subscription of the tenant, enabled or not, as the API reports them.
    pub async fn list_subscriptions(&self) -> Result<Vec<Subscription>, ApiError> {
        let operation = Operation::ListSubscriptions;
        let (_, body) = self.send(operation, self.feed_url(operation, &[])).await?;
        parse_json(&body, operation)
    }

    /// Lists the content created in `window`, following `NextPageUri` to the last page. The
    /// sync reads [`Self::content_pages`] instead, a page at a time.
    pub async fn list_content(
        &self,
        content_type: &ContentType,
        window: TimeWindow,
    ) -> Result<ContentListing, ApiError> {
        let mut pages = self.content_pages(content_type, window);
        let mut listing = ContentListing::default();
        while let Some(page) = pages.next_page().await {
            let page = page?;
            listing.blobs.extend(page.blobs);
            listing.unreadable.extend(page.unreadable);
            listing.pages += 1;
        }
        Ok(listing)
    }

    /// Starts fetching a blob and returns the response once its status is 200, so the caller can
    /// stream the body. `AF20050`/`AF20051`/`AF20052` come back as errors with
    /// [`ApiError::is_content_gone`].
    pub async fn fetch_blob(&self, content_uri: &str) -> Result<Response, ApiError> {
        let operation = Operation::FetchBlob;
        let url = Url::parse(content_uri).map_err(|err| ApiError::Malformed {
            operation: operation.as_str(),
            detail: format!("contentUri {content_uri:?} is not a URL: {err}"),
        })?;
        self.execute::<Streamed>(operation, self.with_publisher(url))
            .await
    }

    fn feed_url(&self, operation: Operation, query: &[(&str, &str)]) -> Url {
        address::feed_url(&self.feed_root, operation, query, &self.publisher_id)
    }

    fn with_publisher(&self, url: Url) -> Url {
        address::with_publisher(url, &self.publisher_id)
    }
}
