//! The calls the client makes, with what differs between them: method, path and time limit.

use std::time::Duration;

use reqwest::Method;

/// The longest a call with a small JSON answer may take, the whole answer read.
const SMALL_ANSWER_TIMEOUT: Duration = Duration::from_secs(120);

/// One kind of Management Activity API call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Operation {
    StartSubscription,
    StopSubscription,
    ListSubscriptions,
    ListContent,
    /// Fetching one blob from its `contentUri`.
    FetchBlob,
}

impl Operation {
    /// The name errors and logs use. For the feed calls it is also the path below the feed root.
    pub fn as_str(self) -> &'static str {
        match self {
            Operation::StartSubscription => "subscriptions/start",
            Operation::StopSubscription => "subscriptions/stop",
            Operation::ListSubscriptions => "subscriptions/list",
            Operation::ListContent => "subscriptions/content",
            Operation::FetchBlob => "audit",
        }
    }

    pub fn method(self) -> Method {
        match self {
            Operation::StartSubscription | Operation::StopSubscription => Method::POST,
            Operation::ListSubscriptions | Operation::ListContent | Operation::FetchBlob => {
                Method::GET
            }
        }
    }

    /// The time limit of the whole call. Blobs stream for as long as they need (the client's
    /// read timeout still catches a stalled one); everything else is small.
    pub fn timeout(self) -> Option<Duration> {
        match self {
            Operation::FetchBlob => None,
            _ => Some(SMALL_ANSWER_TIMEOUT),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ALL: [Operation; 5] = [
        Operation::StartSubscription,
        Operation::StopSubscription,
        Operation::ListSubscriptions,
        Operation::ListContent,
        Operation::FetchBlob,
    ];

    #[test]
    fn names_are_the_api_paths() {
        let names: Vec<&str> = ALL.iter().map(|op| op.as_str()).collect();
        assert_eq!(
            names,
            [
                "subscriptions/start",
                "subscriptions/stop",
                "subscriptions/list",
                "subscriptions/content",
                "audit"
            ]
        );
    }

    #[test]
    fn only_subscription_changes_are_posts() {
        for op in ALL {
            let post = matches!(
                op,
                Operation::StartSubscription | Operation::StopSubscription
            );
            assert_eq!(op.method() == Method::POST, post, "{op:?}");
        }
    }

    #[test]
    fn only_blobs_have_no_time_limit() {
        for op in ALL {
            assert_eq!(op.timeout().is_none(), op == Operation::FetchBlob, "{op:?}");
        }
        assert_eq!(
            Operation::ListContent.timeout(),
            Some(Duration::from_secs(120))
        );
    }
}
