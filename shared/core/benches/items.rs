//! Hot paths of storing an event: its key and its DynamoDB item (with the raw record gzipped
//! when that pays). `cargo bench -p audit-core` (`make bench` reports the end-to-end figures).

use std::collections::HashMap;
use std::hint::black_box;

use audit_core::store::{day_of, event_items, event_key};
use audit_records::{AuditEvent, OperationFilter, classify};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use serde_json::Value;
use serde_json::value::RawValue;

const SAMPLES: &str = include_str!("../../records/tests/fixtures/sample-records.json");

fn event(name: &str) -> AuditEvent {
    let samples: HashMap<String, Value> = serde_json::from_str(SAMPLES).unwrap();
    let raw = RawValue::from_string(samples[name].to_string()).unwrap();
    classify(&raw, &OperationFilter::default())
        .unwrap()
        .expect("a Power Platform sample")
}

fn items(c: &mut Criterion) {
    let current = event("launch, current shape (RecordType 256)");
    let older = event("launch, older shape (RecordType 45)");
    let mut group = c.benchmark_group("event");
    group.throughput(Throughput::Elements(1));
    group.bench_function("key", |b| {
        b.iter(|| black_box(event_key(black_box(&current))))
    });
    group.bench_function("day", |b| b.iter(|| black_box(day_of(black_box(&current)))));
    // Under 600 bytes the raw record is stored as it is, uncompressed.
    let flow = event("flow event (RecordType 30)");
    for (name, sample) in [
        (
            format!("item_current_shape_{}_bytes", current.raw.len()),
            &current,
        ),
        (
            format!("item_older_shape_{}_bytes", older.raw.len()),
            &older,
        ),
        (
            format!("item_flow_{}_bytes_uncompressed", flow.raw.len()),
            &flow,
        ),
    ] {
        group.bench_function(name, |b| {
            b.iter(|| black_box(event_items(black_box(sample), "content-id")))
        });
    }
    group.finish();
}

/// What the raw record's compression costs: a new `GzEncoder` per record, as `event_items`
/// does, and a deflate state reused across records (which would show whether setting the
/// state up is the cost, rather than compressing).
fn compression(c: &mut Criterion) {
    use std::io::Write;
    let raw = event("launch, current shape (RecordType 256)").raw;
    let mut group = c.benchmark_group("raw_compression");
    group.throughput(Throughput::Bytes(raw.len() as u64));
    group.bench_function("new_gz_encoder_per_record", |b| {
        b.iter(|| {
            let mut encoder =
                flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
            encoder.write_all(black_box(raw.as_bytes())).unwrap();
            black_box(encoder.finish().unwrap())
        })
    });
    let mut state = flate2::Compress::new(flate2::Compression::fast(), false);
    let mut out = Vec::with_capacity(2 * raw.len() + 64);
    group.bench_function("reused_deflate_state", |b| {
        b.iter(|| {
            state.reset();
            out.clear();
            state
                .compress_vec(
                    black_box(raw.as_bytes()),
                    &mut out,
                    flate2::FlushCompress::Finish,
                )
                .unwrap();
            black_box(out.len())
        })
    });
    group.finish();
}

criterion_group!(benches, items, compression);
criterion_main!(benches);
