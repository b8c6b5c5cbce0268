//! A DynamoDB endpoint on loopback that counts what the client sends: requests by operation,
//! items written, and the write units they would cost. It either answers every call as if it
//! succeeded and stored nothing (a black hole, to measure the client and the pipeline without
//! a database behind them) or forwards each call to a real endpoint (moto) and passes its
//! answer back.

mod tally;

use std::collections::BTreeMap;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde_json::json;
use tokio::sync::oneshot;

use tally::tally;

/// What reaches the endpoint.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Counts {
    /// By operation (`BatchWriteItem`, `Query`, ...).
    pub requests: BTreeMap<String, u64>,
    /// Write requests: BatchWriteItem, PutItem, UpdateItem, DeleteItem, TransactWriteItems.
    pub write_requests: u64,
    /// BatchWriteItem requests that put events.
    pub event_write_requests: u64,
    /// Event items (`pk` starting `APP#`) put by BatchWriteItem.
    pub event_items: u64,
    /// Their write units: 1 per started KiB of each item, as DynamoDB bills a standard write.
    pub event_write_units: u64,
    /// Event items whose `workload` is not a Power Platform one: records the filter should
    /// have dropped. Must stay 0.
    pub event_items_not_power_platform: u64,
    /// Every other item written (ledger, contribution markers, summaries, watermark, lock), and an
    /// estimate of its write units (an update is counted at the size of what it sets).
    pub other_items: u64,
    pub other_write_units: u64,
    /// Keys asked for by BatchGetItem.
    pub keys_read: u64,
    /// Request bytes received.
    pub bytes_in: u64,
}

impl Counts {
    /// Requests of one operation.
    pub fn requests_of(&self, operation: &str) -> u64 {
        self.requests.get(operation).copied().unwrap_or(0)
    }

    pub fn total_write_units(&self) -> u64 {
        self.event_write_units + self.other_write_units
    }
}

/// Where calls go once counted.
#[derive(Debug, Clone)]
pub enum Mode {
    BlackHole,
    Forward(String),
}

struct Shared {
    mode: Mode,
    http: reqwest::Client,
    counts: Mutex<Counts>,
}

pub struct DynamoServer {
    shared: Arc<Shared>,
    addr: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
}

impl DynamoServer {
    pub async fn start(mode: Mode) -> std::io::Result<DynamoServer> {
        let listener =
            tokio::net::TcpListener::bind(SocketAddr::from((Ipv4Addr::LOCALHOST, 0))).await?;
        let addr = listener.local_addr()?;
        let shared = Arc::new(Shared {
            mode,
            http: reqwest::Client::builder()
                .pool_max_idle_per_host(64)
                .build()
                .expect("a plain HTTP client"),
            counts: Mutex::new(Counts::default()),
        });
        let app = Router::new().fallback(handle).with_state(shared.clone());
        let (stop, stopped) = oneshot::channel::<()>();
        tokio::spawn(async move {
            let _ = axum::serve(listener, app)
                .with_graceful_shutdown(async {
                    let _ = stopped.await;
                })
                .await;
        });
        Ok(DynamoServer {
            shared,
            addr,
            stop: Some(stop),
        })
    }

    pub fn endpoint(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn counts(&self) -> Counts {
        self.shared.counts.lock().expect("not poisoned").clone()
    }

    pub fn reset(&self) {
        *self.shared.counts.lock().expect("not poisoned") = Counts::default();
    }
}

impl Drop for DynamoServer {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

async fn handle(State(shared): State<Arc<Shared>>, headers: HeaderMap, body: Bytes) -> Response {
    let target = headers
        .get("x-amz-target")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    let operation = target.rsplit('.').next().unwrap_or("").to_string();
    // Counting parses the request: done off the async workers, it is the harness's cost.
    let counted = {
        let operation = operation.clone();
        let body = body.clone();
        tokio::task::spawn_blocking(move || tally(&operation, &body))
            .await
            .expect("tallying does not panic")
    };
    {
        let mut counts = shared.counts.lock().expect("not poisoned");
        *counts.requests.entry(operation.clone()).or_default() += 1;
        counts.bytes_in += body.len() as u64;
        counts.add(&counted);
    }
    match &shared.mode {
        Mode::BlackHole => black_hole(&operation),
        Mode::Forward(endpoint) => forward(&shared.http, endpoint, &headers, body).await,
    }
}

/// The answer of a DynamoDB that accepts everything and holds nothing.
fn black_hole(operation: &str) -> Response {
    let body = match operation {
        "BatchWriteItem" => json!({"UnprocessedItems": {}}),
        "BatchGetItem" => json!({"Responses": {}, "UnprocessedKeys": {}}),
        "Query" | "Scan" => json!({"Items": [], "Count": 0, "ScannedCount": 0}),
        "GetItem" | "PutItem" | "UpdateItem" | "DeleteItem" | "TransactWriteItems" => json!({}),
        other => {
            return (
                StatusCode::BAD_REQUEST,
                [(header::CONTENT_TYPE, "application/x-amz-json-1.0")],
                json!({"__type": "com.amazon.coral.service#UnknownOperationException",
                       "message": format!("the black hole does not answer {other:?}")})
                .to_string(),
            )
                .into_response();
        }
    };
    (
        StatusCode::OK,
        [
            (header::CONTENT_TYPE, "application/x-amz-json-1.0"),
            (
                header::HeaderName::from_static("x-amzn-requestid"),
                "black-hole",
            ),
        ],
        body.to_string(),
    )
        .into_response()
}

async fn forward(
    http: &reqwest::Client,
    endpoint: &str,
    headers: &HeaderMap,
    body: Bytes,
) -> Response {
    let mut request = http.post(format!("{endpoint}/")).body(body);
    for (name, value) in headers {
        if name != header::HOST && name != header::CONTENT_LENGTH {
            request = request.header(name, value);
        }
    }
    match request.send().await {
        Ok(answer) => {
            let status = StatusCode::from_u16(answer.status().as_u16())
                .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            let mut out = HeaderMap::new();
            for (name, value) in answer.headers() {
                if name != header::CONTENT_LENGTH && name != header::TRANSFER_ENCODING {
                    out.insert(name.clone(), value.clone());
                }
            }
            let bytes = answer.bytes().await.unwrap_or_default();
            (status, out, bytes).into_response()
        }
        Err(err) => (
            StatusCode::BAD_GATEWAY,
            [(header::CONTENT_TYPE, HeaderValue::from_static("text/plain"))],
            format!("forwarding failed: {err}"),
        )
            .into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_sdk_accepts_the_black_hole() {
        let server = DynamoServer::start(Mode::BlackHole).await.unwrap();
        let sdk = aws_config::defaults(aws_config::BehaviorVersion::latest())
            .endpoint_url(server.endpoint())
            .region(aws_config::Region::new("us-east-1"))
            .credentials_provider(aws_sdk_dynamodb::config::Credentials::new(
                "bench", "bench", None, None, "bench",
            ))
            .load()
            .await;
        let store = audit_core::store::Store::new(&sdk, "events", "state");
        assert_eq!(store.watermark("Audit.General").await.unwrap(), None);
        assert!(
            store
                .try_lock("me", std::time::Duration::from_secs(5))
                .await
                .unwrap()
                .is_some()
        );
        assert!(
            store
                .facts(audit_core::store::Kind::App)
                .await
                .unwrap()
                .is_empty()
        );
        let counts = server.counts();
        assert_eq!(counts.requests["GetItem"], 1);
        assert_eq!(counts.requests["PutItem"], 1);
        assert_eq!(counts.requests["Query"], 16);
        assert_eq!(counts.write_requests, 1);
    }
}
