//! Client for the Office 365 Management Activity API.
//!
//! Every call carries the PublisherIdentifier (it selects the throttling quota), is retried with
//! backoff on throttling and service trouble, renews the token once on a 401, and goes only to
//! the configured API host: the token is never sent where a `contentUri` or `NextPageUri` points
//! if that is anywhere else.

mod error;
mod window;

use std::collections::HashSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use bytes::Bytes;
use reqwest::header::HeaderMap;
use reqwest::{Method, Response, StatusCode};
use serde::{Deserialize, Serialize};
use url::Url;

pub use error::{ApiError, ServiceError};
pub use window::{MAX_WINDOW, RETENTION, TimeWindow, format_query, format_utc, parse_api_time};

use crate::auth::TokenProvider;
use crate::config::{Config, ContentType};
use crate::http::{body_excerpt, describe_reqwest_error, read_error_body};
use crate::retry::{RetryPolicy, retry_after};

/// Kept at this path for the client's tests, which build it the way the functions do.
pub use crate::http::http_client;

/// A subscription as `subscriptions/list` and `subscriptions/start` report it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Subscription {
    #[serde(rename = "contentType")]
    pub content_type: String,
    pub status: String,
    #[serde(default)]
    pub webhook: Option<serde_json::Value>,
}

enum Answer {
    Whole { headers: HeaderMap, body: Bytes },
    Streaming(Response),
}

/// What `start` did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StartOutcome {
    Started(Subscription),
    /// AF20024: it was already on. For the admin this is success.
    AlreadyEnabled,
}

/// One blob of content, as listed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContentBlob {
    #[serde(rename = "contentType")]
    pub content_type: String,
    #[serde(rename = "contentId")]
    pub content_id: String,
    #[serde(rename = "contentUri")]
    pub content_uri: String,
    #[serde(rename = "contentCreated")]
    pub content_created: String,
    #[serde(rename = "contentExpiration", default)]
    pub content_expiration: Option<String>,
}

/// Everything listed for one window, over all its pages.
#[derive(Debug, Default)]
pub struct ContentListing {
    pub blobs: Vec<ContentBlob>,
    pub pages: u32,
}

/// Counters the run summaries report.
#[derive(Debug, Default)]
pub struct ApiCounters {
    pub requests: AtomicU64,
    pub retries: AtomicU64,
    pub throttled: AtomicU64,
    pub token_renewals: AtomicU64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct ApiCounts {
    pub requests: u64,
    pub retries: u64,
    pub throttled: u64,
    pub token_renewals: u64,
}

impl ApiCounters {
    pub fn snapshot(&self) -> ApiCounts {
        ApiCounts {
            requests: self.requests.load(Ordering::Relaxed),
            retries: self.retries.load(Ordering::Relaxed),
            throttled: self.throttled.load(Ordering::Relaxed),
            token_renewals: self.token_renewals.load(Ordering::Relaxed),
        }
    }
}

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
    pub fn new(
        http: reqwest::Client,
        config: &Config,
        tokens: Arc<TokenProvider>,
    ) -> ManagementClient {
        let mut feed_root = config.audience.clone();
        feed_root.set_path(&format!(
            "{}/api/v1.0/{}/activity/feed",
            config.audience.path().trim_end_matches('/'),
            config.tenant_id
        ));
        ManagementClient {
            http,
            tokens,
            feed_root,
            publisher_id: config.publisher_id.clone(),
            retry: config.retry,
            counters: Arc::new(ApiCounters::default()),
        }
    }

    pub fn counters(&self) -> &ApiCounters {
        &self.counters
    }

    pub async fn start_subscription(
        &self,
        content_type: &ContentType,
    ) -> Result<StartOutcome, ApiError> {
        let url = self.feed_url(
            "subscriptions/start",
            &[("contentType", content_type.as_str())],
        );
        match self.send(Method::POST, url, "subscriptions/start").await {
            Ok((_, body)) => Ok(StartOutcome::Started(parse_json(
                &body,
                "subscriptions/start",
            )?)),
            Err(err) if err.code() == Some("AF20024") => Ok(StartOutcome::AlreadyEnabled),
            Err(err) => Err(err),
        }
    }

    pub async fn stop_subscription(&self, content_type: &ContentType) -> Result<(), ApiError> {
        let url = self.feed_url(
            "subscriptions/stop",
            &[("contentType", content_type.as_str())],
        );
        self.send(Method::POST, url, "subscriptions/stop").await?;
        Ok(())
    }

    pub async fn list_subscriptions(&self) -> Result<Vec<Subscription>, ApiError> {
        let url = self.feed_url("subscriptions/list", &[]);
        let (_, body) = self.send(Method::GET, url, "subscriptions/list").await?;
        parse_json(&body, "subscriptions/list")
    }

    /// Lists the content created in `window`, following `NextPageUri` to the last page.
    pub async fn list_content(
        &self,
        content_type: &ContentType,
        window: TimeWindow,
    ) -> Result<ContentListing, ApiError> {
        const OPERATION: &str = "subscriptions/content";
        let start = format_query(window.start());
        let end = format_query(window.end());
        let mut next = Some(self.feed_url(
            OPERATION,
            &[
                ("contentType", content_type.as_str()),
                ("startTime", &start),
                ("endTime", &end),
            ],
        ));
        let mut listing = ContentListing::default();
        let mut seen_pages = HashSet::new();
        while let Some(url) = next.take() {
            if !seen_pages.insert(url.to_string()) {
                return Err(ApiError::Malformed {
                    operation: OPERATION,
                    detail: format!("NextPageUri {url} points back at a page already read"),
                });
            }
            let (headers, body) = self.send(Method::GET, url, OPERATION).await?;
            next = next_page(&headers)?.map(|url| self.with_publisher(url));
            let page: Vec<ContentBlob> = parse_json(&body, OPERATION)?;
            listing.pages += 1;
            listing.blobs.extend(page);
        }
        Ok(listing)
    }

    /// Starts fetching a blob and returns the response once its status is 200, so the caller can
    /// stream the body. `AF20050`/`AF20051`/`AF20052` come back as errors with
    /// [`ApiError::is_content_gone`].
    pub async fn fetch_blob(&self, content_uri: &str) -> Result<Response, ApiError> {
        let url = Url::parse(content_uri).map_err(|err| ApiError::Malformed {
            operation: "audit",
            detail: format!("contentUri {content_uri:?} is not a URL: {err}"),
        })?;
        match self
            .execute(Method::GET, self.with_publisher(url), "audit", false)
            .await?
        {
            Answer::Streaming(resp) => Ok(resp),
            Answer::Whole { .. } => unreachable!("a streaming answer was asked for"),
        }
    }

    fn feed_url(&self, path: &str, query: &[(&str, &str)]) -> Url {
        let mut url = self.feed_root.clone();
        url.set_path(&format!("{}/{path}", self.feed_root.path()));
        {
            let mut pairs = url.query_pairs_mut();
            for (k, v) in query {
                pairs.append_pair(k, v);
            }
        }
        self.with_publisher(url)
    }

    /// Adds the PublisherIdentifier unless the URL (a NextPageUri, say) already carries one.
    fn with_publisher(&self, mut url: Url) -> Url {
        if !url
            .query_pairs()
            .any(|(k, _)| k.eq_ignore_ascii_case("PublisherIdentifier"))
        {
            url.query_pairs_mut()
                .append_pair("PublisherIdentifier", &self.publisher_id);
        }
        url
    }

    fn check_host(&self, url: &Url) -> Result<(), ApiError> {
        let same = url.scheme() == self.feed_root.scheme()
            && url.host_str().map(str::to_ascii_lowercase)
                == self.feed_root.host_str().map(str::to_ascii_lowercase)
            && url.port_or_known_default() == self.feed_root.port_or_known_default();
        if same {
            Ok(())
        } else {
            Err(ApiError::ForeignHost {
                url: redact_query(url),
                expected: self.feed_root.origin().ascii_serialization(),
            })
        }
    }

    /// Sends one call and reads its whole (small) body, retrying as [`Self::execute`] does.
    async fn send(
        &self,
        method: Method,
        url: Url,
        operation: &'static str,
    ) -> Result<(HeaderMap, Bytes), ApiError> {
        match self.execute(method, url, operation, true).await? {
            Answer::Whole { headers, body } => Ok((headers, body)),
            Answer::Streaming(_) => unreachable!("whole bodies were asked for"),
        }
    }

    /// Sends one call with the retry rules and returns once it succeeded: with the body read
    /// (`whole_body`, for the small JSON answers) or with the response ready to stream (blobs).
    async fn execute(
        &self,
        method: Method,
        url: Url,
        operation: &'static str,
        whole_body: bool,
    ) -> Result<Answer, ApiError> {
        self.check_host(&url)?;
        let started = Instant::now();
        let mut attempt: u32 = 0;
        let mut renewed = false;
        loop {
            attempt += 1;
            let token = self.tokens.token().await?;
            self.counters.requests.fetch_add(1, Ordering::Relaxed);
            let mut request = self
                .http
                .request(method.clone(), url.clone())
                .bearer_auth(token.expose())
                .header(reqwest::header::ACCEPT, "application/json");
            if method == Method::POST {
                // The API wants a length on bodiless POSTs.
                request = request.header(reqwest::header::CONTENT_LENGTH, "0");
            }
            if operation != "audit" {
                // Blobs stream for as long as they need; everything else is small.
                request = request.timeout(Duration::from_secs(120));
            }
            let (failure, retry_after, service) = match request.send().await {
                Err(err) => (
                    ApiError::Transport {
                        operation,
                        detail: describe_reqwest_error(&err),
                    },
                    None,
                    None,
                ),
                Ok(resp) if resp.status().is_success() && !whole_body => {
                    return Ok(Answer::Streaming(resp));
                }
                Ok(resp) if resp.status().is_success() => {
                    let headers = resp.headers().clone();
                    match resp.bytes().await {
                        Ok(body) => return Ok(Answer::Whole { headers, body }),
                        // A reply cut short is as transient as a refused connection.
                        Err(err) => (
                            ApiError::Transport {
                                operation,
                                detail: describe_reqwest_error(&err),
                            },
                            None,
                            None,
                        ),
                    }
                }
                Ok(resp) => {
                    let status = resp.status();
                    let retry_after = retry_after(resp.headers());
                    let body = read_error_body(resp).await;
                    let error = ServiceError::from_body(status.as_u16(), &body);
                    if status == StatusCode::UNAUTHORIZED {
                        if renewed {
                            return Err(ApiError::Unauthorized { operation, error });
                        }
                        // An expired or revoked token: one renewal, then the same request again.
                        renewed = true;
                        self.counters.token_renewals.fetch_add(1, Ordering::Relaxed);
                        self.tokens.invalidate(&token).await;
                        tracing::info!(operation, "access token refused, renewing it");
                        attempt -= 1;
                        continue;
                    }
                    if !error.is_transient() {
                        return Err(ApiError::Service { operation, error });
                    }
                    if error.is_throttling() {
                        self.counters.throttled.fetch_add(1, Ordering::Relaxed);
                    }
                    (
                        ApiError::Service {
                            operation,
                            error: error.clone(),
                        },
                        retry_after,
                        Some(error),
                    )
                }
            };
            match self
                .retry
                .next_delay(attempt, started.elapsed(), retry_after)
            {
                Some(delay) => {
                    self.counters.retries.fetch_add(1, Ordering::Relaxed);
                    tracing::warn!(operation, attempt, delay_ms = delay.as_millis() as u64, error = %failure, "retrying");
                    tokio::time::sleep(delay).await;
                }
                None => {
                    return Err(ApiError::RetriesExhausted {
                        operation,
                        attempts: attempt,
                        last: failure.to_string(),
                        service,
                    });
                }
            }
        }
    }
}

/// The next page's URL, from `NextPageUri` (or `NextPageUrl`, as one page of the reference
/// spells it). An empty header means "no more pages".
fn next_page(headers: &HeaderMap) -> Result<Option<Url>, ApiError> {
    let header = headers
        .get("NextPageUri")
        .or_else(|| headers.get("NextPageUrl"));
    let Some(value) = header else { return Ok(None) };
    let text = value.to_str().map_err(|_| ApiError::Malformed {
        operation: "subscriptions/content",
        detail: "NextPageUri is not text".into(),
    })?;
    if text.trim().is_empty() {
        return Ok(None);
    }
    Url::parse(text.trim())
        .map(Some)
        .map_err(|err| ApiError::Malformed {
            operation: "subscriptions/content",
            detail: format!("NextPageUri {text:?} is not a URL: {err}"),
        })
}

fn parse_json<T: serde::de::DeserializeOwned>(
    body: &[u8],
    operation: &'static str,
) -> Result<T, ApiError> {
    serde_json::from_slice(body).map_err(|err| ApiError::Malformed {
        operation,
        detail: format!("{err}; the body began: {}", body_excerpt(body)),
    })
}

/// A URL for an error message: paging tokens and ids in the query are not needed there.
fn redact_query(url: &Url) -> String {
    let mut shown = url.clone();
    shown.set_query(None);
    shown.to_string()
}
