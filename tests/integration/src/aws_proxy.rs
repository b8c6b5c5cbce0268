//! A fault-injecting proxy in front of moto: the AWS side's misbehaviour, for soak tests.
//!
//! The functions reach it through `AWS_ENDPOINT_URL` like any endpoint. DynamoDB calls are
//! forwarded to moto or, by chance, answered with what AWS does under load: throttling errors,
//! 500s, connections cut before or after the request reached the table, and BatchWriteItem
//! answers that leave part of the batch in `UnprocessedItems`.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use rand::{RngExt, SeedableRng};
use serde_json::{Map, Value, json};

/// Per-request probabilities of each fault (they add up; keep the sum below 1).
#[derive(Debug, Clone, Copy)]
pub struct AwsFaults {
    pub throughput_exceeded: f64,
    pub throttling: f64,
    pub server_error: f64,
    pub cut_before: f64,
    pub cut_after: f64,
    pub partial_batch: f64,
}

impl AwsFaults {
    pub const NONE: AwsFaults = AwsFaults {
        throughput_exceeded: 0.0,
        throttling: 0.0,
        server_error: 0.0,
        cut_before: 0.0,
        cut_after: 0.0,
        partial_batch: 0.0,
    };
}

struct ProxyState {
    target: String,
    http: reqwest::Client,
    faults: Mutex<AwsFaults>,
    rng: Mutex<rand::rngs::StdRng>,
    injected: Mutex<BTreeMap<&'static str, u64>>,
}

pub struct AwsFaultProxy {
    state: Arc<ProxyState>,
    pub endpoint: String,
    task: tokio::task::JoinHandle<()>,
}

impl AwsFaultProxy {
    pub async fn start(target: &str, seed: u64) -> AwsFaultProxy {
        let state = Arc::new(ProxyState {
            target: target.trim_end_matches('/').to_string(),
            http: reqwest::Client::new(),
            faults: Mutex::new(AwsFaults::NONE),
            rng: Mutex::new(rand::rngs::StdRng::seed_from_u64(seed)),
            injected: Mutex::new(BTreeMap::new()),
        });
        let listener = tokio::net::TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], 0)))
            .await
            .expect("a loopback port");
        let endpoint = format!("http://{}", listener.local_addr().unwrap());
        let app = axum::Router::new()
            .fallback(forward)
            .with_state(state.clone());
        let task = tokio::spawn(async move {
            axum::serve(listener, app).await.expect("the proxy serves");
        });
        AwsFaultProxy {
            state,
            endpoint,
            task,
        }
    }

    pub fn set_faults(&self, faults: AwsFaults) {
        *self.state.faults.lock().unwrap() = faults;
    }

    /// Faults injected so far, by kind.
    pub fn injected(&self) -> BTreeMap<&'static str, u64> {
        self.state.injected.lock().unwrap().clone()
    }
}

impl Drop for AwsFaultProxy {
    fn drop(&mut self) {
        self.task.abort();
    }
}

enum Fault {
    Error(StatusCode, &'static str, &'static str),
    CutBefore,
    CutAfter,
    PartialBatch,
}

fn pick(state: &ProxyState, target: &str) -> Option<(&'static str, Fault)> {
    // Only DynamoDB misbehaves here; the secret is read once per cold start.
    if !target.starts_with("DynamoDB_") {
        return None;
    }
    let f = *state.faults.lock().unwrap();
    let draw: f64 = state.rng.lock().unwrap().random();
    let mut edge = 0.0;
    let choices = [
        (f.throughput_exceeded, "throughput_exceeded"),
        (f.throttling, "throttling"),
        (f.server_error, "server_error"),
        (f.cut_before, "cut_before"),
        (f.cut_after, "cut_after"),
        (f.partial_batch, "partial_batch"),
    ];
    for (p, name) in choices {
        edge += p;
        if draw < edge {
            let fault = match name {
                "throughput_exceeded" => Fault::Error(
                    StatusCode::BAD_REQUEST,
                    "ProvisionedThroughputExceededException",
                    "The level of configured provisioned throughput for the table was exceeded.",
                ),
                "throttling" => Fault::Error(
                    StatusCode::BAD_REQUEST,
                    "ThrottlingException",
                    "Rate of requests exceeds the allowed throughput.",
                ),
                "server_error" => Fault::Error(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "InternalServerError",
                    "Internal server error",
                ),
                "cut_before" => Fault::CutBefore,
                "cut_after" => Fault::CutAfter,
                _ if target.ends_with(".BatchWriteItem") => Fault::PartialBatch,
                _ => return None,
            };
            return Some((name, fault));
        }
    }
    None
}

/// A body that fails at once: the client sees the connection break.
fn cut() -> Response {
    let stream =
        futures::stream::once(async { Err::<Bytes, std::io::Error>(std::io::Error::other("cut")) });
    Response::builder()
        .status(StatusCode::OK)
        .body(Body::from_stream(stream))
        .unwrap()
}

async fn forward(
    State(state): State<Arc<ProxyState>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let target = headers
        .get("x-amz-target")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    let fault = pick(&state, &target).map(|(name, fault)| {
        *state.injected.lock().unwrap().entry(name).or_default() += 1;
        fault
    });
    let (body, withheld) = match fault {
        Some(Fault::Error(status, kind, message)) => return aws_error(status, kind, message),
        Some(Fault::CutBefore) => return cut(),
        Some(Fault::PartialBatch) => withhold_half(body),
        _ => (body, None),
    };
    let answer = match send(&state, method, &uri, &headers, body).await {
        Ok(answer) => answer,
        Err(err) => return (StatusCode::BAD_GATEWAY, err.to_string()).into_response(),
    };
    let status = answer.status();
    let answer_headers = answer.headers().clone();
    let answer_body = answer.bytes().await.unwrap_or_default();
    if matches!(fault, Some(Fault::CutAfter)) {
        // The write reached the table, but the client never hears so.
        return cut();
    }
    let answer_body = match withheld {
        Some(held) if status.is_success() => hand_back(&answer_body, held),
        _ => answer_body,
    };
    relay(status, &answer_headers, answer_body)
}

/// An error answer in DynamoDB's JSON protocol.
fn aws_error(status: StatusCode, kind: &str, message: &str) -> Response {
    let payload =
        json!({"__type": format!("com.amazonaws.dynamodb.v20120810#{kind}"), "message": message});
    (
        status,
        [("content-type", "application/x-amz-json-1.0")],
        payload.to_string(),
    )
        .into_response()
}

/// Keeps half of each table's writes in a BatchWriteItem request; returns the request to send
/// and, per table, the writes held back (`None` if the body is not JSON, which goes as it came).
fn withhold_half(body: Bytes) -> (Bytes, Option<Map<String, Value>>) {
    let Ok(mut request) = serde_json::from_slice::<Value>(&body) else {
        return (body, None);
    };
    let mut held = Map::new();
    if let Some(items) = request["RequestItems"].as_object_mut() {
        for (table, writes) in items.iter_mut() {
            if let Some(list) = writes.as_array_mut() {
                let keep = list.len().div_ceil(2);
                let rest: Vec<Value> = list.split_off(keep);
                if !rest.is_empty() {
                    held.insert(table.clone(), Value::Array(rest));
                }
            }
        }
    }
    (Bytes::from(request.to_string()), Some(held))
}

/// The request as the client sent it, to moto.
async fn send(
    state: &ProxyState,
    method: Method,
    uri: &Uri,
    headers: &HeaderMap,
    body: Bytes,
) -> reqwest::Result<reqwest::Response> {
    let url = format!(
        "{}{}",
        state.target,
        uri.path_and_query().map(|p| p.as_str()).unwrap_or("/")
    );
    let mut request = state.http.request(method, url).body(body);
    for (name, value) in headers.iter() {
        if name != "host" && name != "content-length" {
            request = request.header(name, value);
        }
    }
    request.send().await
}

/// Adds the writes held back to moto's `UnprocessedItems`, as if the table had refused them.
fn hand_back(answer_body: &[u8], held: Map<String, Value>) -> Bytes {
    let mut reply: Value = serde_json::from_slice(answer_body).unwrap_or_else(|_| json!({}));
    let mut merged = reply["UnprocessedItems"]
        .as_object()
        .cloned()
        .unwrap_or_default();
    for (table, writes) in held {
        let entry = merged
            .entry(table)
            .or_insert_with(|| Value::Array(Vec::new()));
        if let (Some(list), Some(more)) = (entry.as_array_mut(), writes.as_array()) {
            list.extend(more.iter().cloned());
        }
    }
    reply["UnprocessedItems"] = Value::Object(merged);
    Bytes::from(reply.to_string())
}

/// moto's answer, passed on.
fn relay(status: StatusCode, headers: &HeaderMap, body: Bytes) -> Response {
    let mut response = Response::builder().status(status);
    for (name, value) in headers.iter() {
        // The length and any checksum changed with a rewritten body.
        if name != "content-length" && name != "x-amz-crc32" && name != "transfer-encoding" {
            response = response.header(name, value);
        }
    }
    response.body(Body::from(body)).unwrap()
}
