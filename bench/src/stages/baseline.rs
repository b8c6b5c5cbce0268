//! The baseline a user would otherwise write: blobs fetched one at a time, each read whole and
//! parsed into `serde_json::Value`s, Power Platform records written with BatchWriteItem, 25 at
//! a time.

use std::hint::black_box;
use std::time::Instant;

use aws_sdk_dynamodb::types::{AttributeValue, PutRequest, WriteRequest};
use serde_json::{Value, json};

use super::{list_blobs, session};
use crate::BoxError;
use crate::tenant::POWER_PLATFORM_WORKLOADS;

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
pub(super) fn parse_values(body: &[u8]) -> Result<(u64, u64), BoxError> {
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

/// The baseline: one blob at a time, whole bodies, `Value`s, plain batch writes.
pub(super) async fn naive() -> Result<Value, BoxError> {
    let started = Instant::now();
    let session = session()?;
    let api = session.client().await?;
    let mut writer = BatchWriter {
        dynamo: aws_sdk_dynamodb::Client::new(session.aws().await),
        table: audit_core::sync::Settings::from_env()?.events_table,
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
}
