//! The stages, each run in a child process of its own (`audit-bench child STAGE`) so that its
//! peak RSS and CPU time are its own. The child reads the same environment a function does
//! (`AUDIT_LOGS_*`, `AWS_*`) and prints one JSON line.
//!
//! * `parse-typed`: fetches each blob whole (not timed), then times `classify_blob` on its
//!   bytes on this thread: stage (a).
//! * `parse-value`: the same bytes parsed into `serde_json::Value`s and filtered: what a
//!   hand-written client would do.
//! * `sync`: one scheduled run of the real `Syncer` (listing, ledger, concurrent streamed
//!   blobs, existence check, batch writes, summary rebuild): stages (b) and (c), depending on
//!   what `AWS_ENDPOINT_URL` points at.
//! * `naive`: the baseline a user would otherwise write: blobs fetched one at a time, each
//!   read whole and parsed into `serde_json::Value`s, Power Platform records written with
//!   BatchWriteItem, 25 at a time.

use std::convert::Infallible;
use std::hint::black_box;
use std::time::{Duration, Instant};

use audit_core::api::{ContentBlob, ManagementClient, TimeWindow};
use audit_core::config::Config;
use audit_core::session::ApiSession;
use audit_core::store::Store;
use audit_core::sync::{Mode, Settings, Syncer};
use audit_records::{BlobCount, DEFAULT_MAX_RECORD_BYTES, OperationFilter, classify_blob};
use aws_sdk_dynamodb::types::{AttributeValue, PutRequest, WriteRequest};
use serde_json::{Value, json};
use time::OffsetDateTime;

use crate::BoxError;
use crate::measure::thread_cpu;
use crate::tenant::POWER_PLATFORM_WORKLOADS;

pub fn child_main(args: &[String]) -> std::process::ExitCode {
    let stage = args.first().map(String::as_str).unwrap_or("");
    // The parse stages time one thread; the sync gets the multi-threaded runtime a Lambda
    // function has (two workers here, as on this machine's two cores).
    let runtime = match stage {
        "parse-typed" | "parse-value" | "naive" => tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build(),
        _ => tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build(),
    }
    .expect("a tokio runtime");
    let result = runtime.block_on(async {
        match stage {
            "parse-typed" => parse(false).await,
            "parse-value" => parse(true).await,
            "sync" => sync().await,
            "naive" => naive().await,
            other => Err(format!("unknown stage {other:?}").into()),
        }
    });
    match result {
        Ok(mut out) => {
            if let (Some(object), Some(peak)) =
                (out.as_object_mut(), crate::measure::own_peak_rss_mib())
            {
                object.insert("peak_rss_mib".into(), json!(peak));
            }
            println!("{out}");
            std::process::ExitCode::SUCCESS
        }
        Err(err) => {
            eprintln!("stage {stage} failed: {err}");
            std::process::ExitCode::FAILURE
        }
    }
}

fn session() -> Result<ApiSession, BoxError> {
    Ok(ApiSession::new(Config::from_env()?))
}

/// Every blob of the configured content types in the last three hours (the tenant's hour).
async fn list_blobs(api: &ManagementClient, config: &Config) -> Result<Vec<ContentBlob>, BoxError> {
    let now = OffsetDateTime::now_utc();
    let mut blobs = Vec::new();
    for content_type in &config.content_types {
        for window in TimeWindow::split(now - time::Duration::hours(3), now) {
            blobs.extend(api.list_content(content_type, window).await?.blobs);
        }
    }
    Ok(blobs)
}

/// Stage (a). Bodies are fetched whole first (that time is reported apart), then parsed on
/// this thread, so the parse time is CPU time of one core.
async fn parse(value_baseline: bool) -> Result<Value, BoxError> {
    let session = session()?;
    let api = session.client().await?;
    let blobs = list_blobs(&api, &session.config).await?;
    let parser = if value_baseline {
        Parser::Value
    } else {
        Parser::Typed(OperationFilter::default())
    };
    let mut totals = ParseTotals::default();
    for blob in &blobs {
        let started = Instant::now();
        let body = api.fetch_blob(&blob.content_uri).await?.bytes().await?;
        totals.fetch += started.elapsed();
        totals.parse(&parser, &body)?;
    }
    Ok(totals.json(blobs.len()))
}

/// How stage (a) parses a body: as the sync does, or as a hand-written client would.
enum Parser {
    Typed(OperationFilter),
    Value,
}

impl Parser {
    /// Records read and kept.
    fn parse(&self, body: &[u8]) -> Result<(u64, u64), BoxError> {
        match self {
            Parser::Typed(filter) => classify_only(body, filter),
            Parser::Value => parse_values(body),
        }
    }
}

/// What stage (a) adds up over the blobs.
#[derive(Default)]
struct ParseTotals {
    fetch: Duration,
    parse_cpu: Duration,
    parse_wall: Duration,
    bytes: u64,
    largest: u64,
    records: u64,
    kept: u64,
}

impl ParseTotals {
    /// Parses `body` on this thread; only the parse is timed.
    fn parse(&mut self, parser: &Parser, body: &[u8]) -> Result<(), BoxError> {
        self.bytes += body.len() as u64;
        self.largest = self.largest.max(body.len() as u64);
        let (cpu, wall) = (thread_cpu(), Instant::now());
        let (records, kept) = parser.parse(body)?;
        self.parse_cpu += thread_cpu() - cpu;
        self.parse_wall += wall.elapsed();
        self.records += records;
        self.kept += kept;
        Ok(())
    }

    fn json(&self, blobs: usize) -> Value {
        json!({
            "blobs": blobs,
            "bytes": self.bytes,
            "largest_blob_bytes": self.largest,
            "records": self.records,
            "kept": self.kept,
            "fetch_s": self.fetch.as_secs_f64(),
            "parse_cpu_s": self.parse_cpu.as_secs_f64(),
            "parse_wall_s": self.parse_wall.as_secs_f64(),
        })
    }
}

/// The sync's parse and filter of a whole blob, its events dropped: the parse alone.
fn classify_only(body: &[u8], filter: &OperationFilter) -> Result<(u64, u64), BoxError> {
    let mut count = BlobCount::default();
    classify_blob(
        body,
        DEFAULT_MAX_RECORD_BYTES,
        filter,
        &mut count,
        |event| {
            black_box(event);
            Ok::<_, Infallible>(())
        },
    )?;
    Ok((count.records, count.kept))
}

/// What a hand-written client keeps of a record, from its `serde_json::Value`.
struct NaiveEvent {
    pk: String,
    sk: String,
    operation: String,
    workload: String,
    user: String,
    raw: String,
}

fn naive_event(record: &Value) -> Option<NaiveEvent> {
    let workload = record.get("Workload")?.as_str()?;
    if !POWER_PLATFORM_WORKLOADS.contains(&workload) {
        return None;
    }
    let id = record.get("Id")?.as_str()?;
    let created = record.get("CreationTime")?.as_str()?;
    let app = record
        .get("PropertyCollection")
        .and_then(Value::as_array)
        .and_then(|props| {
            props.iter().find(|p| {
                p.get("Name").and_then(Value::as_str)
                    == Some("powerplatform.analytics.resource.power_app.id")
            })
        })
        .and_then(|p| p.get("Value"))
        .or_else(|| record.get("AppName"))
        .and_then(Value::as_str)
        .unwrap_or("-");
    Some(NaiveEvent {
        pk: format!("APP#{app}#{}", created.get(..10).unwrap_or(created)),
        sk: format!("EV#{id}"),
        operation: record
            .get("Operation")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string(),
        workload: workload.to_string(),
        user: record
            .get("UserId")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string(),
        raw: record.to_string(),
    })
}

/// Parses a whole body into `Value`s and keeps the Power Platform ones.
fn parse_values(body: &[u8]) -> Result<(u64, u64), BoxError> {
    let records: Vec<Value> = serde_json::from_slice(body)?;
    let mut kept = 0;
    for record in &records {
        if let Some(event) = naive_event(record) {
            black_box(event);
            kept += 1;
        }
    }
    Ok((records.len() as u64, kept))
}

/// Stages (b) and (c): one scheduled run of the real sync, configured from the environment
/// exactly as `audit-sync` is.
async fn sync() -> Result<Value, BoxError> {
    let started = Instant::now();
    let session = session()?;
    let settings = Settings::from_env()?;
    let api = session.client().await?;
    let store = Store::new(
        session.aws().await,
        &session.config.table,
        &settings.state_table,
    );
    let syncer = Syncer {
        api,
        store,
        settings,
        content_types: session.config.content_types.clone(),
    };
    let run_started = Instant::now();
    let summary = syncer.run(Mode::Scheduled, None, "bench").await?;
    Ok(json!({
        "run_s": run_started.elapsed().as_secs_f64(),
        "total_s": started.elapsed().as_secs_f64(),
        "summary": serde_json::to_value(&summary)?,
    }))
}

/// The baseline: one blob at a time, whole bodies, `Value`s, plain batch writes.
async fn naive() -> Result<Value, BoxError> {
    let started = Instant::now();
    let session = session()?;
    let api = session.client().await?;
    let mut writer = BatchWriter {
        dynamo: aws_sdk_dynamodb::Client::new(session.aws().await),
        table: session.config.table.clone(),
        batch: Vec::new(),
        requests: 0,
    };
    let blobs = list_blobs(&api, &session.config).await?;
    let (mut records, mut kept) = (0u64, 0u64);
    for blob in &blobs {
        let body = api.fetch_blob(&blob.content_uri).await?.bytes().await?;
        let values: Vec<Value> = serde_json::from_slice(&body)?;
        records += values.len() as u64;
        for event in values.iter().filter_map(naive_event) {
            kept += 1;
            writer.put(naive_put(event, &blob.content_id)?).await?;
        }
        writer.flush().await?;
    }
    Ok(json!({
        "run_s": started.elapsed().as_secs_f64(),
        "blobs": blobs.len(),
        "records": records,
        "kept": kept,
        "write_requests": writer.requests,
    }))
}

/// The baseline's item: every field a plain string.
fn naive_put(event: NaiveEvent, content_id: &str) -> Result<WriteRequest, BoxError> {
    let item = [
        ("pk", event.pk),
        ("sk", event.sk),
        ("operation", event.operation),
        ("workload", event.workload),
        ("user", event.user),
        ("content_id", content_id.to_string()),
        ("raw", event.raw),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), AttributeValue::S(v)))
    .collect();
    let put = PutRequest::builder().set_item(Some(item)).build()?;
    Ok(WriteRequest::builder().put_request(put).build())
}

/// Puts in BatchWriteItem requests of 25, the most one request takes.
struct BatchWriter {
    dynamo: aws_sdk_dynamodb::Client,
    table: String,
    batch: Vec<WriteRequest>,
    requests: u64,
}

impl BatchWriter {
    async fn put(&mut self, write: WriteRequest) -> Result<(), BoxError> {
        self.batch.push(write);
        if self.batch.len() == 25 {
            self.flush().await?;
        }
        Ok(())
    }

    async fn flush(&mut self) -> Result<(), BoxError> {
        if self.batch.is_empty() {
            return Ok(());
        }
        let batch = std::mem::take(&mut self.batch);
        write_batch(&self.dynamo, &self.table, batch).await?;
        self.requests += 1;
        Ok(())
    }
}

async fn write_batch(
    dynamo: &aws_sdk_dynamodb::Client,
    table: &str,
    batch: Vec<WriteRequest>,
) -> Result<(), BoxError> {
    let output = dynamo
        .batch_write_item()
        .request_items(table, batch)
        .send()
        .await?;
    let left = output
        .unprocessed_items
        .and_then(|mut u| u.remove(table))
        .map_or(0, |l| l.len());
    if left > 0 {
        return Err(format!("{left} writes left unprocessed").into());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_baseline_keeps_power_platform_records() {
        let body = json!([
            {"Id": "1", "CreationTime": "2026-11-24T10:00:00", "Workload": "PowerApps",
             "Operation": "LaunchPowerApp", "AppName": "app-1", "UserId": "a@b.c"},
            {"Id": "2", "CreationTime": "2026-11-24T10:00:00", "Workload": "PowerPlatform",
             "Operation": "LaunchPowerApp",
             "PropertyCollection": [{"Name": "powerplatform.analytics.resource.power_app.id", "Value": "app-2"}]},
            {"Id": "3", "CreationTime": "2026-11-24T10:00:00", "Workload": "Exchange"}
        ]);
        let bytes = serde_json::to_vec(&body).unwrap();
        assert_eq!(parse_values(&bytes).unwrap(), (3, 2));
        let event = naive_event(&body[1]).unwrap();
        assert_eq!(event.pk, "APP#app-2#2026-11-24");
        assert_eq!(event.sk, "EV#2");
        assert!(naive_event(&body[2]).is_none());
    }

    #[test]
    fn stage_a_adds_up_what_it_parsed() {
        let body = json!([
            {"Id": "1", "CreationTime": "2026-11-24T10:00:00", "Workload": "Exchange",
             "Operation": "Send", "RecordType": 2},
            {"Id": "2", "CreationTime": "2026-11-24T10:00:00", "Workload": "PowerApps",
             "Operation": "LaunchPowerApp", "AppName": "app-1", "UserId": "a@b.c"}
        ]);
        let bytes = serde_json::to_vec(&body).unwrap();
        let mut totals = ParseTotals::default();
        totals.parse(&Parser::Value, &bytes).unwrap();
        totals
            .parse(&Parser::Typed(OperationFilter::default()), &bytes)
            .unwrap();
        assert_eq!(totals.records, 4, "each parse reads both records");
        assert!(totals.kept >= 1, "the baseline keeps the launch");
        let out = totals.json(2);
        assert_eq!(out["bytes"], 2 * bytes.len());
        assert_eq!(out["largest_blob_bytes"], bytes.len());
    }
}
