//! Fault injection: what can go wrong, when it should, and the canned answers.
//!
//! Faults come from two sources. Scripted rules ("the next N requests whose
//! path contains P") are checked first, in the order they were added; then,
//! if configured, a seeded random draw per request (for storms and soaks).
//! Control routes (`/_emulator/...`) are never faulted.

use std::collections::VecDeque;

use axum::body::{Body, Bytes};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use futures::StreamExt;
use serde::{Deserialize, Serialize};

use crate::rng::SplitMix64;

const DEFAULT_CUT_AFTER_BYTES: usize = 64;

/// One kind of misbehaviour. JSON form: `{"kind": "delay", "ms": 500}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind")]
pub enum FaultKind {
    /// 429 with an `AF429` body.
    #[serde(rename = "throttle_429")]
    Throttle429,
    /// The same `AF429` body with status 403, as in Microsoft's own sample.
    #[serde(rename = "throttle_403")]
    Throttle403,
    /// 500 `AF50000`.
    #[serde(rename = "server_500")]
    Server500,
    /// 503 with an HTML page, as a front end answers.
    #[serde(rename = "unavailable_503")]
    Unavailable503,
    /// 408 with an empty body.
    #[serde(rename = "timeout_408")]
    Timeout408,
    /// Sleep, then answer normally.
    #[serde(rename = "delay")]
    Delay { ms: u64 },
    /// Send the status, headers and the first bytes of the real answer, then
    /// drop the connection.
    #[serde(rename = "cut")]
    Cut {
        #[serde(default = "default_cut_after_bytes")]
        after_bytes: usize,
    },
    /// Every token issued so far expires now; this request then gets a 401.
    #[serde(rename = "expire_tokens")]
    ExpireTokens,
    /// 429 with a `Retry-After` header.
    #[serde(rename = "retry_after")]
    RetryAfter {
        #[serde(default = "default_retry_after")]
        seconds: u64,
    },
    /// A content listing whose `NextPageUri` names another host (present
    /// even on a last page).
    #[serde(rename = "foreign_next_page")]
    ForeignNextPage,
    /// A content listing whose `NextPageUri` points back at the page just served.
    #[serde(rename = "loop_next_page")]
    LoopNextPage,
    /// A content listing whose `contentUri`s name another host.
    #[serde(rename = "foreign_content_uri")]
    ForeignContentUri,
    /// 200 with an HTML error page labelled as JSON.
    #[serde(rename = "bad_body")]
    BadBody,
    /// 400 `AF20050` ("content does not exist"), as for a blob listed before its content can
    /// be fetched.
    #[serde(rename = "content_missing")]
    ContentMissing,
    /// A content listing with an entry no client can read (no `contentUri`, a number for an
    /// id, an unreadable `contentCreated`) before the real ones.
    #[serde(rename = "broken_listing_entry")]
    BrokenListingEntry,
    /// A content listing whose JSON is preceded by `bytes` of whitespace: valid, and huge.
    #[serde(rename = "huge_page")]
    HugePage { bytes: usize },
}

fn default_cut_after_bytes() -> usize {
    DEFAULT_CUT_AFTER_BYTES
}

fn default_retry_after() -> u64 {
    1
}

impl FaultKind {
    /// The name used in stats and in the JSON `kind` field.
    pub fn name(&self) -> &'static str {
        match self {
            FaultKind::Throttle429 => "throttle_429",
            FaultKind::Throttle403 => "throttle_403",
            FaultKind::Server500 => "server_500",
            FaultKind::Unavailable503 => "unavailable_503",
            FaultKind::Timeout408 => "timeout_408",
            FaultKind::Delay { .. } => "delay",
            FaultKind::Cut { .. } => "cut",
            FaultKind::ExpireTokens => "expire_tokens",
            FaultKind::RetryAfter { .. } => "retry_after",
            FaultKind::ForeignNextPage => "foreign_next_page",
            FaultKind::LoopNextPage => "loop_next_page",
            FaultKind::ForeignContentUri => "foreign_content_uri",
            FaultKind::BadBody => "bad_body",
            FaultKind::ContentMissing => "content_missing",
            FaultKind::BrokenListingEntry => "broken_listing_entry",
            FaultKind::HugePage { .. } => "huge_page",
        }
    }
}

/// "The next `count` requests whose path contains `path_contains` (and whose
/// method is `method`, if set) get `fault`", after letting `skip` matching
/// requests through untouched.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FaultRule {
    #[serde(default)]
    pub path_contains: String,
    #[serde(default)]
    pub method: Option<String>,
    #[serde(default = "one")]
    pub count: u32,
    #[serde(default)]
    pub skip: u32,
    pub fault: FaultKind,
}

fn one() -> u32 {
    1
}

impl FaultRule {
    /// Once, on the next request whose path contains `path_contains`.
    pub fn new(path_contains: impl Into<String>, fault: FaultKind) -> Self {
        FaultRule {
            path_contains: path_contains.into(),
            method: None,
            count: 1,
            skip: 0,
            fault,
        }
    }

    pub fn times(mut self, count: u32) -> Self {
        self.count = count;
        self
    }

    pub fn skip(mut self, skip: u32) -> Self {
        self.skip = skip;
        self
    }

    pub fn method(mut self, method: impl Into<String>) -> Self {
        self.method = Some(method.into());
        self
    }

    fn matches(&self, method: &str, path: &str) -> bool {
        path.contains(&self.path_contains)
            && self
                .method
                .as_deref()
                .is_none_or(|m| m.eq_ignore_ascii_case(method))
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RandomFault {
    pub fault: FaultKind,
    pub probability: f64,
}

/// Independent per-request draws from a seeded stream. At most one fault
/// per request: the probabilities are stacked, so they should sum to <= 1.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RandomFaults {
    #[serde(default)]
    pub seed: u64,
    /// Only requests whose path contains this are considered.
    #[serde(default)]
    pub path_contains: Option<String>,
    pub faults: Vec<RandomFault>,
}

/// What `GET /_emulator/faults` shows: rules still pending and the random setup.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct FaultsView {
    pub rules: Vec<FaultRule>,
    pub random: Option<RandomFaults>,
}

#[derive(Default)]
pub(crate) struct FaultEngine {
    /// Pending rules; `count` and `skip` count down as requests go by.
    rules: VecDeque<FaultRule>,
    random: Option<(RandomFaults, SplitMix64)>,
}

impl FaultEngine {
    pub fn add_rule(&mut self, rule: FaultRule) {
        if rule.count > 0 {
            self.rules.push_back(rule);
        }
    }

    pub fn set_random(&mut self, random: Option<RandomFaults>) {
        self.random = random.map(|r| {
            let rng = SplitMix64::derived(r.seed, &[0xfa17]);
            (r, rng)
        });
    }

    pub fn clear(&mut self) {
        self.rules.clear();
        self.random = None;
    }

    pub fn view(&self) -> FaultsView {
        FaultsView {
            rules: self.rules.iter().cloned().collect(),
            random: self.random.as_ref().map(|(r, _)| r.clone()),
        }
    }

    /// Decides the fault for one request, consuming rule budgets. Every
    /// matching rule still skipping counts this request as one it let through.
    pub fn pick(&mut self, method: &str, path: &str) -> Option<FaultKind> {
        let mut fired = None;
        for (position, rule) in self.rules.iter_mut().enumerate() {
            if !rule.matches(method, path) {
                continue;
            }
            if rule.skip > 0 {
                rule.skip -= 1;
            } else if fired.is_none() {
                rule.count -= 1;
                fired = Some((position, rule.fault.clone()));
            }
        }
        if let Some((position, fault)) = fired {
            if self.rules[position].count == 0 {
                self.rules.remove(position);
            }
            return Some(fault);
        }
        let (random, rng) = self.random.as_mut()?;
        if random
            .path_contains
            .as_deref()
            .is_some_and(|p| !path.contains(p))
        {
            return None;
        }
        let draw = rng.next_f64();
        let mut cumulative = 0.0;
        for candidate in &random.faults {
            cumulative += candidate.probability;
            if draw < cumulative {
                return Some(candidate.fault.clone());
            }
        }
        None
    }
}

/// Which side of the emulator a request is for: error bodies differ.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Audience {
    /// The Management Activity API, with its operation name for `AF429`.
    Api(&'static str),
    /// The Entra token endpoint.
    Token,
}

/// The response for a fault that answers instead of the handler, or `None`
/// for the ones that let the handler run (delay, cut, expire_tokens, foreign_*).
pub(crate) fn canned_response(
    fault: &FaultKind,
    audience: Audience,
    publisher_id: Option<&str>,
) -> Option<Response> {
    // A request without PublisherIdentifier shares the anonymous quota, which
    // the real service reports as the all-zero GUID.
    let publisher = publisher_id.unwrap_or("00000000-0000-0000-0000-000000000000");
    let response = match (fault, audience) {
        (FaultKind::Throttle429 | FaultKind::Throttle403 | FaultKind::RetryAfter { .. }, _) => {
            let status = if *fault == FaultKind::Throttle403 {
                StatusCode::FORBIDDEN
            } else {
                StatusCode::TOO_MANY_REQUESTS
            };
            let mut response = match audience {
                Audience::Api(method) => af_error(
                    status,
                    "AF429",
                    &format!("Too many requests. Method={method}, PublisherId={publisher}"),
                ),
                Audience::Token => entra_throttled(status),
            };
            if let FaultKind::RetryAfter { seconds } = fault {
                response.headers_mut().insert(
                    header::RETRY_AFTER,
                    HeaderValue::from_str(&seconds.to_string()).expect("digits"),
                );
            }
            response
        }
        (FaultKind::Server500, Audience::Api(_)) => af_error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "AF50000",
            "An internal error occurred. Retry the request.",
        ),
        (FaultKind::Server500, Audience::Token) => entra_server_error(),
        (FaultKind::Unavailable503, _) => (
            StatusCode::SERVICE_UNAVAILABLE,
            [(header::CONTENT_TYPE, "text/html")],
            "<!DOCTYPE HTML PUBLIC \"-//W3C//DTD HTML 4.01//EN\"\"http://www.w3.org/TR/html4/strict.dtd\">\r\n\
             <HTML><HEAD><TITLE>Service Unavailable</TITLE>\r\n\
             <META HTTP-EQUIV=\"Content-Type\" Content=\"text/html; charset=us-ascii\"></HEAD>\r\n\
             <BODY><h2>Service Unavailable</h2>\r\n<hr><p>HTTP Error 503. The service is unavailable.</p>\r\n</BODY></HTML>\r\n",
        )
            .into_response(),
        (FaultKind::Timeout408, _) => StatusCode::REQUEST_TIMEOUT.into_response(),
        (FaultKind::ContentMissing, _) => af_error(
            StatusCode::BAD_REQUEST,
            "AF20050",
            "The specified content does not exist.",
        ),
        (FaultKind::BadBody, _) => (
            StatusCode::OK,
            [(header::CONTENT_TYPE, "application/json; charset=utf-8")],
            "<!DOCTYPE html>\r\n<html><head><title>Runtime Error</title></head>\r\n\
             <body><h1>Server Error in '/' Application.</h1>\r\n\
             <h2><i>Runtime Error</i></h2></body></html>\r\n",
        )
            .into_response(),
        (
            FaultKind::Delay { .. }
            | FaultKind::Cut { .. }
            | FaultKind::ExpireTokens
            | FaultKind::ForeignNextPage
            | FaultKind::LoopNextPage
            | FaultKind::ForeignContentUri
            | FaultKind::BrokenListingEntry
            | FaultKind::HugePage { .. },
            _,
        ) => return None,
    };
    Some(response)
}

pub(crate) fn af_error(status: StatusCode, code: &str, message: &str) -> Response {
    json_response(
        status,
        &serde_json::json!({"error": {"code": code, "message": message}}),
    )
}

/// Serializes `body` as is: a struct keeps its field order, which going
/// through `serde_json::Value` would sort.
pub(crate) fn json_response(status: StatusCode, body: &impl Serialize) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "application/json; charset=utf-8")],
        serde_json::to_vec(body).expect("response bodies serialize"),
    )
        .into_response()
}

fn entra_throttled(status: StatusCode) -> Response {
    crate::token::entra_error(
        status,
        "temporarily_unavailable",
        50196,
        "The server terminated an operation because it encountered a client request loop. \
         Please contact your app vendor.",
    )
}

fn entra_server_error() -> Response {
    crate::token::entra_error(
        StatusCode::INTERNAL_SERVER_ERROR,
        "temporarily_unavailable",
        50000,
        "There was an error issuing a token or an issue with our sign-in service.",
    )
}

/// Keeps the status and headers (Content-Length included, so the client
/// knows it was short-changed) but ends the body with an error after
/// `after_bytes`, which makes hyper drop the connection. A body shorter than
/// that is cut in half instead, so some bytes always arrive when there are any.
pub(crate) fn cut_response(response: Response, after_bytes: usize) -> Response {
    use axum::body::HttpBody as _;
    let (mut parts, body) = response.into_parts();
    let exact = body.size_hint().exact();
    if let Some(len) = exact {
        parts
            .headers
            .insert(header::CONTENT_LENGTH, HeaderValue::from(len));
    }
    let limit = match exact {
        Some(len) if (len as usize) <= after_bytes => len as usize / 2,
        _ => after_bytes,
    };
    let data = body
        .into_data_stream()
        .map(|chunk| chunk.map_err(std::io::Error::other))
        .scan(0usize, move |sent, chunk| {
            if *sent >= limit {
                return futures::future::ready(None);
            }
            let chunk = chunk.map(|chunk| {
                let room = limit - *sent;
                let chunk = if chunk.len() > room {
                    chunk.slice(..room)
                } else {
                    chunk
                };
                *sent += chunk.len();
                chunk
            });
            futures::future::ready(Some(chunk))
        });
    // The pause lets hyper flush the head and the partial body before the
    // error makes it drop the connection; without it nothing would arrive.
    let stream = data.chain(futures::stream::once(async {
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        Err::<Bytes, _>(cut_error())
    }));
    Response::from_parts(parts, Body::from_stream(stream))
}

fn cut_error() -> std::io::Error {
    std::io::Error::new(
        std::io::ErrorKind::ConnectionAborted,
        "fault injection: connection cut",
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules_fire_in_order_and_run_out() {
        let mut engine = FaultEngine::default();
        engine.add_rule(FaultRule::new("/audit/", FaultKind::Server500).times(2));
        engine.add_rule(FaultRule::new("/content", FaultKind::Throttle429).skip(1));
        assert_eq!(engine.pick("GET", "/x/content"), None);
        assert_eq!(
            engine.pick("GET", "/x/content"),
            Some(FaultKind::Throttle429)
        );
        assert_eq!(engine.pick("GET", "/x/content"), None);
        assert_eq!(engine.pick("GET", "/x/audit/1"), Some(FaultKind::Server500));
        assert_eq!(engine.pick("GET", "/x/audit/1"), Some(FaultKind::Server500));
        assert_eq!(engine.pick("GET", "/x/audit/1"), None);
        assert!(engine.view().rules.is_empty());
    }

    #[test]
    fn method_filter() {
        let mut engine = FaultEngine::default();
        engine.add_rule(FaultRule::new("", FaultKind::Timeout408).method("POST"));
        assert_eq!(engine.pick("GET", "/a"), None);
        assert_eq!(engine.pick("POST", "/a"), Some(FaultKind::Timeout408));
    }

    #[test]
    fn random_faults_are_seeded() {
        let random = RandomFaults {
            seed: 3,
            path_contains: None,
            faults: vec![RandomFault {
                fault: FaultKind::Server500,
                probability: 0.3,
            }],
        };
        let run = |random: RandomFaults| {
            let mut engine = FaultEngine::default();
            engine.set_random(Some(random));
            (0..200)
                .map(|_| engine.pick("GET", "/p").is_some())
                .collect::<Vec<_>>()
        };
        let first = run(random.clone());
        assert_eq!(first, run(random));
        let hits = first.iter().filter(|&&hit| hit).count();
        assert!((30..90).contains(&hits), "{hits}");
    }

    #[test]
    fn json_shapes() {
        let rule: FaultRule =
            serde_json::from_str(r#"{"path_contains":"/audit/","fault":{"kind":"cut"}}"#).unwrap();
        assert_eq!(rule.count, 1);
        assert_eq!(
            rule.fault,
            FaultKind::Cut {
                after_bytes: DEFAULT_CUT_AFTER_BYTES
            }
        );
        let kind: FaultKind = serde_json::from_str(r#"{"kind":"throttle_429"}"#).unwrap();
        assert_eq!(kind, FaultKind::Throttle429);
        assert_eq!(
            serde_json::to_string(&FaultKind::Delay { ms: 5 }).unwrap(),
            r#"{"kind":"delay","ms":5}"#
        );
    }
}
