//! Hot paths of the sync's parsing: a whole blob through `classify_blob` (and its first half,
//! `read_blob`, alone), one record through `classify`, and the `serde_json::Value` parse a
//! hand-written client would do instead.
//! `cargo bench -p audit-records` (`make bench` reports the end-to-end figures).

use std::collections::HashMap;
use std::convert::Infallible;
use std::hint::black_box;

use audit_records::{DEFAULT_MAX_RECORD_BYTES, OperationFilter, classify, count_blob, read_blob};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use serde_json::Value;
use serde_json::value::RawValue;

const SAMPLES: &str = include_str!("../tests/fixtures/sample-records.json");

/// A record of another workload, as most of a tenant's audit log is.
const NOISE: &str = r#"{"CreationTime":"2026-11-24T18:02:11","Id":"0f4e2b8a-6a3c-4f55-9b7c-1d2e3f405162","Operation":"ViewReport","OrganizationId":"7d2b9f3e-1c4a-4f6b-9e2d-3a5c8b1f0e47","RecordType":20,"ResultStatus":"Succeeded","UserKey":"cb7bad9c-c863-47aa-98d2-c954cb14711e","UserType":0,"Version":1,"Workload":"PowerBI","ClientIP":"192.0.2.17","ObjectId":"5e0e4d7c-2a41-4b8e-9d57-7c1f3a2b9e60","UserId":"user004@contoso.onmicrosoft.com","Activity":"ViewReport","ItemName":"Sales Overview","WorkSpaceName":"Finance","DatasetName":"Sales Overview","IsSuccess":true}"#;

/// The fixture's valid Power Platform shapes.
fn power_platform_samples() -> Vec<Value> {
    let samples: HashMap<String, Value> = serde_json::from_str(SAMPLES).unwrap();
    let mut valid: Vec<(String, Value)> = samples
        .into_iter()
        .filter(|(name, _)| !name.starts_with("malformed"))
        .collect();
    valid.sort_by(|a, b| a.0.cmp(&b.0));
    valid.into_iter().map(|(_, v)| v).collect()
}

/// A blob of `n` records, one in five a Power Platform event, every `Id` distinct.
fn blob(n: usize) -> Vec<u8> {
    let pp = power_platform_samples();
    let noise: Value = serde_json::from_str(NOISE).unwrap();
    let records: Vec<Value> = (0..n)
        .map(|i| {
            let mut record = if i % 5 == 0 {
                pp[(i / 5) % pp.len()].clone()
            } else {
                noise.clone()
            };
            record["Id"] = Value::String(format!("00000000-0000-4000-8000-{i:012}"));
            record
        })
        .collect();
    serde_json::to_vec(&records).unwrap()
}

fn blobs(c: &mut Criterion) {
    let body = blob(1_000);
    let filter = OperationFilter::default();
    let mut group = c.benchmark_group("blob_1000_records");
    group.throughput(Throughput::Bytes(body.len() as u64));
    group.bench_function("classify_blob", |b| {
        b.iter(|| {
            let count = count_blob(black_box(&body[..]), DEFAULT_MAX_RECORD_BYTES, &filter);
            assert_eq!(count.unwrap().kept, 200);
        })
    });
    // The first half of classify_blob: cutting the records out of the stream, unparsed.
    group.bench_function("read_blob_only", |b| {
        b.iter(|| {
            let n = read_blob(black_box(&body[..]), DEFAULT_MAX_RECORD_BYTES, |raw| {
                black_box(raw.unwrap());
                Ok::<_, Infallible>(())
            })
            .unwrap();
            assert_eq!(n, 1_000);
        })
    });
    group.bench_function("serde_json_value_baseline", |b| {
        b.iter(|| {
            let records: Vec<Value> = serde_json::from_slice(black_box(&body)).unwrap();
            let mut kept = 0;
            for record in &records {
                if matches!(
                    record.get("Workload").and_then(Value::as_str),
                    Some("PowerPlatform" | "PowerApps" | "MicrosoftFlow")
                ) {
                    black_box(record.to_string());
                    kept += 1;
                }
            }
            assert_eq!(kept, 200);
        })
    });
    group.finish();
}

fn records(c: &mut Criterion) {
    let filter = OperationFilter::default();
    let launch = RawValue::from_string(power_platform_samples()[1].to_string()).unwrap();
    let noise = RawValue::from_string(NOISE.to_string()).unwrap();
    let mut group = c.benchmark_group("classify_one_record");
    group.throughput(Throughput::Elements(1));
    group.bench_function("kept", |b| {
        b.iter(|| black_box(classify(black_box(&launch), &filter).unwrap().unwrap()))
    });
    group.bench_function("filtered_out", |b| {
        b.iter(|| assert!(classify(black_box(&noise), &filter).unwrap().is_none()))
    });
    group.finish();
}

criterion_group!(benches, blobs, records);
criterion_main!(benches);
