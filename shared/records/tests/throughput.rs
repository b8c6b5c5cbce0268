//! Rough throughput figures, not a pass/fail test. Run with
//! `cargo test --release -p audit-records --test throughput -- --ignored --nocapture`.

use std::collections::HashMap;
use std::convert::Infallible;
use std::hint::black_box;
use std::time::Instant;

use audit_records::{DEFAULT_MAX_RECORD_BYTES, OperationFilter, classify, count_blob, read_blob};
use serde_json::value::RawValue;

const SAMPLES: &str = include_str!("fixtures/sample-records.json");

/// The fixture's valid shapes plus a record of another workload, compacted as the
/// API sends them.
fn typical_records() -> Vec<Box<RawValue>> {
    let samples: HashMap<String, serde_json::Value> = serde_json::from_str(SAMPLES).unwrap();
    let mut records: Vec<Box<RawValue>> = samples
        .iter()
        .filter(|(name, _)| !name.starts_with("malformed"))
        .map(|(_, value)| RawValue::from_string(value.to_string()).unwrap())
        .collect();
    records.push(
        RawValue::from_string(
            r#"{"CreationTime":"2026-11-24T18:02:11","Id":"0f4e2b8a-6a3c-4f55-9b7c-1d2e3f405162","Operation":"MessageSent","OrganizationId":"7d2b9f3e-1c4a-4f6b-9e2d-3a5c8b1f0e47","RecordType":25,"UserKey":"cb7bad9c-c863-47aa-98d2-c954cb14711e","UserType":0,"Version":1,"Workload":"MicrosoftTeams","ClientIP":"192.0.2.17","UserId":"user004@contoso.onmicrosoft.com","ChatThreadId":"19:abc@thread.v2","CommunicationType":"GroupChat","Members":[{"DisplayName":"A","Role":1,"UPN":"a@contoso.com"},{"DisplayName":"B","Role":1,"UPN":"b@contoso.com"}]}"#
                .to_owned(),
        )
        .unwrap(),
    );
    records
}

#[test]
#[ignore = "throughput report; run in release with --ignored --nocapture"]
fn throughput() {
    let records = typical_records();
    let filter = OperationFilter::default();
    let rounds = 200_000;

    let start = Instant::now();
    for i in 0..rounds {
        black_box(classify(black_box(&records[i % records.len()]), &filter).ok());
    }
    let per_sec = rounds as f64 / start.elapsed().as_secs_f64();
    println!("classify: {per_sec:.0} records/s");

    let n = 200_000;
    let body = format!(
        "[{}]",
        (0..n)
            .map(|i| records[i % records.len()].get())
            .collect::<Vec<_>>()
            .join(",")
    );
    let start = Instant::now();
    let read = read_blob(body.as_bytes(), DEFAULT_MAX_RECORD_BYTES, |raw| {
        black_box(raw.ok());
        Ok::<_, Infallible>(())
    })
    .unwrap();
    let secs = start.elapsed().as_secs_f64();
    println!(
        "read_blob: {:.0} records/s, {:.0} MB/s ({read} records, {} MB)",
        read as f64 / secs,
        body.len() as f64 / secs / 1e6,
        body.len() / 1_000_000
    );

    let start = Instant::now();
    let count = count_blob(body.as_bytes(), DEFAULT_MAX_RECORD_BYTES, &filter).unwrap();
    let secs = start.elapsed().as_secs_f64();
    println!(
        "classify_blob: {:.0} records/s ({count})",
        count.records as f64 / secs
    );
}
