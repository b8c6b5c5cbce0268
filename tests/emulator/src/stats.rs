//! Counters and a bounded log of the requests the emulator served.

use std::collections::{BTreeMap, VecDeque};

use serde::{Deserialize, Serialize};

/// Requests with and without `PublisherIdentifier`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PresenceCount {
    pub present: u64,
    pub missing: u64,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Stats {
    /// Requests to the token endpoint and the API (control routes excluded).
    pub requests_total: u64,
    /// By route name: `token_v1`, `token_v2`, `subscriptions_start`,
    /// `subscriptions_stop`, `subscriptions_list`, `subscriptions_content`,
    /// `audit_blob`, `unknown`.
    pub requests_by_route: BTreeMap<String, u64>,
    pub responses_by_status: BTreeMap<u16, u64>,
    /// By fault kind name (`throttle_429`, `cut`, ...).
    pub faults_by_kind: BTreeMap<String, u64>,
    pub tokens_issued: u64,
    /// API requests only (the token endpoint takes no such parameter).
    pub publisher_identifier: PresenceCount,
    pub publisher_identifier_by_route: BTreeMap<String, PresenceCount>,
    /// Blob fetches answered 200 (before any `cut`).
    pub blobs_served: u64,
    /// Content listings answered 200.
    pub content_pages_served: u64,
}

/// One served request, as kept in the request log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RequestRecord {
    pub seq: u64,
    /// Emulator time when the request arrived (RFC 3339).
    pub at: String,
    pub method: String,
    pub path: String,
    pub query: Option<String>,
    pub route: String,
    pub status: u16,
    pub fault: Option<String>,
    pub publisher_identifier: Option<String>,
    pub authorization_present: bool,
}

pub(crate) struct StatsCollector {
    stats: Stats,
    log: VecDeque<RequestRecord>,
    capacity: usize,
    seq: u64,
}

impl StatsCollector {
    pub fn new(capacity: usize) -> Self {
        StatsCollector {
            stats: Stats::default(),
            log: VecDeque::new(),
            capacity,
            seq: 0,
        }
    }

    pub fn snapshot(&self) -> Stats {
        self.stats.clone()
    }

    pub fn requests(&self) -> Vec<RequestRecord> {
        self.log.iter().cloned().collect()
    }

    pub fn reset(&mut self) {
        self.stats = Stats::default();
        self.log.clear();
    }

    pub fn token_issued(&mut self) {
        self.stats.tokens_issued += 1;
    }

    pub fn blob_served(&mut self) {
        self.stats.blobs_served += 1;
    }

    pub fn content_page_served(&mut self) {
        self.stats.content_pages_served += 1;
    }

    pub fn record(&mut self, mut entry: RequestRecord) {
        let stats = &mut self.stats;
        stats.requests_total += 1;
        *stats
            .requests_by_route
            .entry(entry.route.clone())
            .or_default() += 1;
        *stats.responses_by_status.entry(entry.status).or_default() += 1;
        if let Some(fault) = &entry.fault {
            *stats.faults_by_kind.entry(fault.clone()).or_default() += 1;
        }
        if is_api_route(&entry.route) {
            let by_route = stats
                .publisher_identifier_by_route
                .entry(entry.route.clone())
                .or_default();
            if entry.publisher_identifier.is_some() {
                stats.publisher_identifier.present += 1;
                by_route.present += 1;
            } else {
                stats.publisher_identifier.missing += 1;
                by_route.missing += 1;
            }
        }
        self.seq += 1;
        entry.seq = self.seq;
        if self.capacity > 0 {
            if self.log.len() == self.capacity {
                self.log.pop_front();
            }
            self.log.push_back(entry);
        }
    }
}

fn is_api_route(route: &str) -> bool {
    route.starts_with("subscriptions_") || route == "audit_blob"
}

/// Names a request's route from its path alone, so that requests that fail
/// before reaching a handler (faults, 404s) are still classified.
pub(crate) fn route_name(path: &str) -> &'static str {
    let segments: Vec<&str> = path.trim_matches('/').split('/').collect();
    match segments.as_slice() {
        [_, "oauth2", "token"] => "token_v1",
        [_, "oauth2", "v2.0", "token"] => "token_v2",
        ["api", _, _, "activity", "feed", "subscriptions", op] => match *op {
            "start" => "subscriptions_start",
            "stop" => "subscriptions_stop",
            "list" => "subscriptions_list",
            "content" => "subscriptions_content",
            _ => "unknown",
        },
        ["api", _, _, "activity", "feed", "audit", _] => "audit_blob",
        _ => "unknown",
    }
}

/// The operation name the real service puts in `AF429` messages.
pub(crate) fn operation_name(route: &str) -> &'static str {
    match route {
        "subscriptions_start" => "StartSubscription",
        "subscriptions_stop" => "StopSubscription",
        "subscriptions_list" => "ListSubscriptions",
        "subscriptions_content" => "ListContent",
        "audit_blob" => "GetBlob",
        _ => "Unknown",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes_are_named() {
        assert_eq!(route_name("/t/oauth2/token"), "token_v1");
        assert_eq!(route_name("/t/oauth2/v2.0/token"), "token_v2");
        assert_eq!(
            route_name("/api/v1/t/activity/feed/subscriptions/content"),
            "subscriptions_content"
        );
        assert_eq!(
            route_name("/api/v1.0/t/activity/feed/audit/1$2$3"),
            "audit_blob"
        );
        assert_eq!(route_name("/nope"), "unknown");
    }
}
