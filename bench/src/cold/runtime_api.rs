//! A minimal Lambda Runtime API on loopback, and a function binary started against it the way
//! Lambda starts `bootstrap`. Measured from the spawn to the function's first
//! `GET /runtime/invocation/next` (Lambda's "Init Duration") and to its reply to the first
//! invocation.

use std::net::{Ipv4Addr, SocketAddr};
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::Value;
use tokio::sync::Notify;

#[derive(Default)]
struct Attempt {
    event: Value,
    first_next: Option<Instant>,
    reply: Option<(Instant, bool, String)>,
    next_calls: u32,
}

#[derive(Default)]
struct Shared {
    attempt: Mutex<Attempt>,
    replied: Notify,
}

pub struct RuntimeApi {
    shared: Arc<Shared>,
    addr: SocketAddr,
}

/// One cold start.
#[derive(Debug, Clone)]
pub struct ColdStart {
    /// Spawn to the first `/next`.
    pub init: Duration,
    /// Spawn to the reply of the first invocation.
    pub first_reply: Duration,
    pub ok: bool,
    pub reply: String,
}

impl RuntimeApi {
    pub async fn start() -> std::io::Result<RuntimeApi> {
        let listener =
            tokio::net::TcpListener::bind(SocketAddr::from((Ipv4Addr::LOCALHOST, 0))).await?;
        let addr = listener.local_addr()?;
        let shared = Arc::new(Shared::default());
        let app = Router::new()
            .route("/2018-06-01/runtime/invocation/next", get(next))
            .route(
                "/2018-06-01/runtime/invocation/{id}/response",
                post(response),
            )
            .route("/2018-06-01/runtime/invocation/{id}/error", post(error))
            .route("/2018-06-01/runtime/init/error", post(init_error))
            .with_state(shared.clone());
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Ok(RuntimeApi { shared, addr })
    }

    /// Starts `binary` with `env` (plus the variables Lambda sets), hands it `event` as its
    /// first invocation, and kills it once it replied.
    pub async fn cold_start(
        &self,
        binary: &std::path::Path,
        env: &[(String, String)],
        event: &Value,
    ) -> Result<ColdStart, String> {
        *self.shared.attempt.lock().expect("not poisoned") = Attempt {
            event: event.clone(),
            ..Attempt::default()
        };
        let replied = self.shared.replied.notified();
        tokio::pin!(replied);
        replied.as_mut().enable();
        let spawned = Instant::now();
        let mut child = tokio::process::Command::new(binary)
            .env_clear()
            .envs(env.iter().map(|(k, v)| (k, v)))
            .env("AWS_LAMBDA_RUNTIME_API", self.addr.to_string())
            .env("AWS_LAMBDA_FUNCTION_NAME", "bench")
            .env("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
            .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128")
            .env("AWS_LAMBDA_LOG_GROUP_NAME", "/aws/lambda/bench")
            .env("AWS_LAMBDA_LOG_STREAM_NAME", "bench")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .map_err(|err| format!("{} does not start: {err}", binary.display()))?;
        let waited = tokio::time::timeout(Duration::from_secs(30), replied).await;
        let _ = child.start_kill();
        let _ = child.wait().await;
        if waited.is_err() {
            return Err(format!("{} did not reply within 30 s", binary.display()));
        }
        let attempt = self.shared.attempt.lock().expect("not poisoned");
        let first_next = attempt.first_next.ok_or("no /next call")?;
        let (replied_at, ok, body) = attempt.reply.clone().ok_or("no reply")?;
        Ok(ColdStart {
            init: first_next - spawned,
            first_reply: replied_at - spawned,
            ok,
            reply: body,
        })
    }
}

async fn next(State(shared): State<Arc<Shared>>) -> Response {
    let event = {
        let mut attempt = shared.attempt.lock().expect("not poisoned");
        attempt.next_calls += 1;
        if attempt.next_calls > 1 {
            None
        } else {
            attempt.first_next = Some(Instant::now());
            Some(attempt.event.to_string())
        }
    };
    let Some(event) = event else {
        // Later polls wait, as Lambda's do between invocations, until the process is stopped.
        std::future::pending::<()>().await;
        unreachable!()
    };
    let deadline_ms = (std::time::SystemTime::now() + Duration::from_secs(900))
        .duration_since(std::time::UNIX_EPOCH)
        .expect("after 1970")
        .as_millis();
    let mut headers = HeaderMap::new();
    let set = |headers: &mut HeaderMap, name: &'static str, value: String| {
        headers.insert(name, HeaderValue::from_str(&value).expect("ASCII header"));
    };
    set(
        &mut headers,
        "lambda-runtime-aws-request-id",
        "bench-0001".into(),
    );
    set(
        &mut headers,
        "lambda-runtime-deadline-ms",
        deadline_ms.to_string(),
    );
    set(
        &mut headers,
        "lambda-runtime-invoked-function-arn",
        "arn:aws:lambda:us-east-1:000000000000:function:bench".into(),
    );
    set(
        &mut headers,
        "lambda-runtime-trace-id",
        "Root=1-00000000-000000000000000000000000;Sampled=0".into(),
    );
    set(&mut headers, "content-type", "application/json".into());
    (StatusCode::OK, headers, event).into_response()
}

fn record_reply(shared: &Shared, ok: bool, body: Bytes) -> StatusCode {
    let mut attempt = shared.attempt.lock().expect("not poisoned");
    if attempt.reply.is_none() {
        attempt.reply = Some((
            Instant::now(),
            ok,
            String::from_utf8_lossy(&body).into_owned(),
        ));
        shared.replied.notify_waiters();
    }
    StatusCode::ACCEPTED
}

async fn response(
    State(shared): State<Arc<Shared>>,
    Path(_id): Path<String>,
    body: Bytes,
) -> StatusCode {
    record_reply(&shared, true, body)
}

async fn error(
    State(shared): State<Arc<Shared>>,
    Path(_id): Path<String>,
    body: Bytes,
) -> StatusCode {
    record_reply(&shared, false, body)
}

async fn init_error(State(shared): State<Arc<Shared>>, body: Bytes) -> StatusCode {
    record_reply(&shared, false, body)
}
