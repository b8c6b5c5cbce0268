//! One API call with the client's rules: the token on every attempt, one renewal after a 401,
//! and backoff on throttling and service trouble.

use std::future::Future;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use bytes::Bytes;
use reqwest::header::HeaderMap;
use reqwest::{Method, RequestBuilder, Response, StatusCode};
use url::Url;

use super::error::{ApiError, ServiceError};
use super::operation::Operation;
use super::{ManagementClient, address};
use crate::auth::AccessToken;
use crate::http::{describe_reqwest_error, read_error_body};
use crate::retry::retry_after;

/// How the answer to a successful call is taken. Taking it is part of the attempt: a body cut
/// short is retried like a refused connection.
pub(super) trait BodyMode {
    type Answer;
    fn take(resp: Response) -> impl Future<Output = Result<Self::Answer, reqwest::Error>> + Send;
}

/// The most of a small JSON answer (a listing page, the subscriptions) that is read. The
/// service's pages are a few hundred KB; an answer past this is refused, not buffered.
pub const MAX_ANSWER_BYTES: usize = 32 * 1024 * 1024;

/// The small JSON answers: read whole, with the headers (paging comes in one), up to
/// [`MAX_ANSWER_BYTES`].
pub(super) struct Whole;

/// A small answer as read; `oversized` when it ran past [`MAX_ANSWER_BYTES`] and the rest was
/// left unread.
pub(super) struct WholeAnswer {
    headers: HeaderMap,
    body: Bytes,
    oversized: bool,
}

impl BodyMode for Whole {
    type Answer = WholeAnswer;

    async fn take(mut resp: Response) -> Result<WholeAnswer, reqwest::Error> {
        let headers = resp.headers().clone();
        let mut body = bytes::BytesMut::new();
        while let Some(chunk) = resp.chunk().await? {
            if body.len() + chunk.len() > MAX_ANSWER_BYTES {
                return Ok(WholeAnswer {
                    headers,
                    body: body.freeze(),
                    oversized: true,
                });
            }
            body.extend_from_slice(&chunk);
        }
        Ok(WholeAnswer {
            headers,
            body: body.freeze(),
            oversized: false,
        })
    }
}

/// Blobs: the response is handed over once its status is a success, for the caller to stream.
pub(super) struct Streamed;

impl BodyMode for Streamed {
    type Answer = Response;

    async fn take(resp: Response) -> Result<Response, reqwest::Error> {
        Ok(resp)
    }
}

/// How one attempt ended.
enum Attempt<T> {
    Answered(T),
    /// A 401: the token was expired or revoked.
    Unauthorized(ServiceError),
    /// Throttling, the service's own trouble, or the network: another try may succeed.
    Transient(Transient),
    /// The service refused the call for a reason another try does not change.
    Refused(ApiError),
}

struct Transient {
    failure: ApiError,
    retry_after: Option<Duration>,
    /// The service's answer, when the failure was one.
    service: Option<ServiceError>,
}

impl Transient {
    fn transport(operation: Operation, err: &reqwest::Error) -> Transient {
        Transient {
            failure: ApiError::Transport {
                operation: operation.as_str(),
                detail: describe_reqwest_error(err),
            },
            retry_after: None,
            service: None,
        }
    }
}

impl ManagementClient {
    /// Sends one call and reads its whole (small) body.
    pub(super) async fn send(
        &self,
        operation: Operation,
        url: Url,
    ) -> Result<(HeaderMap, Bytes), ApiError> {
        let answer = self.execute::<Whole>(operation, url).await?;
        if answer.oversized {
            return Err(ApiError::Malformed {
                operation: operation.as_str(),
                detail: format!(
                    "the answer is larger than {} MiB, far past any page the service sends; it \
                     was not read further",
                    MAX_ANSWER_BYTES / (1024 * 1024)
                ),
            });
        }
        Ok((answer.headers, answer.body))
    }

    /// Sends one call with the retry rules and returns its answer once it succeeded.
    pub(super) async fn execute<M: BodyMode>(
        &self,
        operation: Operation,
        url: Url,
    ) -> Result<M::Answer, ApiError> {
        address::check_host(&url, &self.feed_root)?;
        let started = Instant::now();
        // Attempts that count against the retry budget; a token renewal is not one.
        let mut attempts: u32 = 0;
        let mut renewed = false;
        loop {
            let token = self.tokens.token().await?;
            match self.attempt::<M>(operation, &url, &token).await {
                Attempt::Answered(answer) => return Ok(answer),
                Attempt::Refused(err) => return Err(err),
                Attempt::Unauthorized(error) if renewed => {
                    let operation = operation.as_str();
                    return Err(ApiError::Unauthorized { operation, error });
                }
                Attempt::Unauthorized(_) => {
                    // An expired or revoked token: one renewal, then the same request again.
                    renewed = true;
                    self.renew_token(operation, &token).await;
                }
                Attempt::Transient(transient) => {
                    attempts += 1;
                    self.wait_to_retry(operation, attempts, started.elapsed(), transient)
                        .await?;
                }
            }
        }
    }

    /// Sends the request once and sorts out what came back.
    async fn attempt<M: BodyMode>(
        &self,
        operation: Operation,
        url: &Url,
        token: &AccessToken,
    ) -> Attempt<M::Answer> {
        self.counters.requests.fetch_add(1, Ordering::Relaxed);
        let resp = match self.request(operation, url, token).send().await {
            Ok(resp) => resp,
            Err(err) => return Attempt::Transient(Transient::transport(operation, &err)),
        };
        if !resp.status().is_success() {
            return self.refusal(operation, resp).await;
        }
        match M::take(resp).await {
            Ok(answer) => Attempt::Answered(answer),
            Err(err) => Attempt::Transient(Transient::transport(operation, &err)),
        }
    }

    fn request(&self, operation: Operation, url: &Url, token: &AccessToken) -> RequestBuilder {
        let method = operation.method();
        let post = method == Method::POST;
        let mut request = self
            .http
            .request(method, url.clone())
            .bearer_auth(token.expose())
            .header(reqwest::header::ACCEPT, "application/json");
        if post {
            // The API wants a length on bodiless POSTs.
            request = request.header(reqwest::header::CONTENT_LENGTH, "0");
        }
        if let Some(timeout) = operation.timeout() {
            request = request.timeout(timeout);
        }
        request
    }

    /// Reads the service's refusal and decides whether it is worth another try.
    async fn refusal<T>(&self, operation: Operation, resp: Response) -> Attempt<T> {
        let status = resp.status();
        let retry_after = retry_after(resp.headers());
        let body = read_error_body(resp).await;
        let error = ServiceError::from_body(status.as_u16(), &body);
        if status == StatusCode::UNAUTHORIZED {
            return Attempt::Unauthorized(error);
        }
        let operation = operation.as_str();
        if !error.is_transient() {
            return Attempt::Refused(ApiError::Service { operation, error });
        }
        if error.is_throttling() {
            self.counters.throttled.fetch_add(1, Ordering::Relaxed);
        }
        Attempt::Transient(Transient {
            failure: ApiError::Service {
                operation,
                error: error.clone(),
            },
            retry_after,
            service: Some(error),
        })
    }

    async fn renew_token(&self, operation: Operation, refused: &AccessToken) {
        self.counters.token_renewals.fetch_add(1, Ordering::Relaxed);
        self.tokens.invalidate(refused).await;
        tracing::info!(
            operation = operation.as_str(),
            "access token refused, renewing it"
        );
    }

    /// Waits before the next attempt, or gives up once the retry budget is spent.
    async fn wait_to_retry(
        &self,
        operation: Operation,
        attempts: u32,
        elapsed: Duration,
        transient: Transient,
    ) -> Result<(), ApiError> {
        let Transient {
            failure,
            retry_after,
            service,
        } = transient;
        let Some(delay) = self.retry.next_delay(attempts, elapsed, retry_after) else {
            return Err(ApiError::RetriesExhausted {
                operation: operation.as_str(),
                attempts,
                last: failure.to_string(),
                service,
            });
        };
        self.counters.retries.fetch_add(1, Ordering::Relaxed);
        tracing::warn!(operation = operation.as_str(), attempt = attempts, delay_ms = delay.as_millis() as u64, error = %failure, "retrying");
        tokio::time::sleep(delay).await;
        Ok(())
    }
}
