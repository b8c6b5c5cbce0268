//! The record shapes of `fixtures/sample-records.json` (a copy of the project's
//! reference samples), classified one by one.

use std::collections::HashMap;

use audit_records::{
    AppKind, BlobCount, DEFAULT_MAX_RECORD_BYTES, OperationFilter, RejectionKind, classify,
    classify_blob,
};
use serde_json::value::RawValue;
use time::macros::datetime;

const SAMPLES: &str = include_str!("fixtures/sample-records.json");

fn sample(name: &str) -> Box<RawValue> {
    let mut all: HashMap<String, Box<RawValue>> = serde_json::from_str(SAMPLES).unwrap();
    all.remove(name)
        .unwrap_or_else(|| panic!("no sample {name:?} in the fixture"))
}

fn kept(name: &str) -> audit_records::AuditEvent {
    classify(&sample(name), &OperationFilter::default())
        .expect("valid record")
        .expect("kept by the default filter")
}

#[test]
fn current_launch_shape() {
    let event = kept("launch, current shape (RecordType 256)");
    assert_eq!(event.id, "c84396c3-def1-4a63-9a99-c10f2aa3eddc");
    assert_eq!(event.creation_time, datetime!(2026-11-24 19:42:06 UTC));
    assert_eq!(event.creation_time_iso(), "2026-11-24T19:42:06Z");
    assert_eq!(event.operation, "LaunchPowerApp");
    assert!(event.is_launch());
    assert!(!event.is_app_deletion());
    assert_eq!(event.workload, "PowerPlatform");
    assert_eq!(event.record_type, 256);
    assert_eq!(event.app_kind, AppKind::PowerApp);
    assert_eq!(
        event.app_id.as_deref(),
        Some("baa1c6f1-404b-4eaf-962a-01dec28753f8")
    );
    assert_eq!(event.app_display_name.as_deref(), Some("App 01"));
    assert_eq!(
        event.environment_id.as_deref(),
        Some("b35331ce-af2e-49dd-87e3-55b26210b784")
    );
    assert_eq!(
        event.user_upn.as_deref(),
        Some("user001@contoso.onmicrosoft.com")
    );
    assert_eq!(
        event.user_key.as_deref(),
        Some("c2b3a9cb-9bb7-40bf-9d6f-978f3b47498b")
    );
    assert_eq!(event.result_status.as_deref(), Some("Succeeded"));
    assert_eq!(event.client_ip.as_deref(), Some("203.0.113.184"));
}

#[test]
fn older_launch_shape() {
    let event = kept("launch, older shape (RecordType 45)");
    assert_eq!(event.id, "dcf3e064-c381-47ef-84bf-21afaca46039");
    assert_eq!(event.creation_time_iso(), "2026-11-24T17:29:47Z");
    assert_eq!(event.record_type, 45);
    assert_eq!(event.workload, "PowerApps");
    assert!(event.is_launch());
    assert_eq!(event.app_kind, AppKind::PowerApp);
    assert_eq!(
        event.app_id.as_deref(),
        Some("9fb932d4-f039-4722-96ff-82e389e3995a")
    );
    assert_eq!(event.app_display_name.as_deref(), Some("App 02"));
    assert_eq!(
        event.environment_id.as_deref(),
        Some("b8e3c71f-6bf0-4d62-b310-57ca7d411fab")
    );
    assert_eq!(
        event.user_upn.as_deref(),
        Some("user001@contoso.onmicrosoft.com")
    );
    assert_eq!(event.client_ip.as_deref(), Some("198.51.100.108"));
}

#[test]
fn flow_event() {
    let event = kept("flow event (RecordType 30)");
    assert_eq!(event.id, "ae9f8ad8-eab4-4243-a078-61a33b28ff2c");
    assert_eq!(event.operation, "CreateFlow");
    assert!(!event.is_launch());
    assert_eq!(event.record_type, 30);
    assert_eq!(event.app_kind, AppKind::Flow);
    assert_eq!(
        event.app_id.as_deref(),
        Some("cafdd23a-bba6-4b36-b1a0-161891166863")
    );
    assert_eq!(event.app_display_name, None);
    assert_eq!(event.environment_id, None);
    assert_eq!(
        event.user_upn.as_deref(),
        Some("user004@contoso.onmicrosoft.com")
    );
}

#[test]
fn app_deleted() {
    let event = kept("app deleted (RecordType 256)");
    assert_eq!(event.id, "bd3e75fa-3345-4a17-8999-d6f0c4d90124");
    assert!(event.is_app_deletion());
    assert_eq!(event.app_kind, AppKind::PowerApp);
    assert_eq!(
        event.app_id.as_deref(),
        Some("9974d75b-3338-44fe-a179-0134676b1b69")
    );
    assert_eq!(event.app_display_name, None);
    assert_eq!(event.environment_id, None);
    assert_eq!(event.creation_time_iso(), "2026-11-24T17:51:25Z");
}

#[test]
fn malformed_record_is_rejected_for_its_missing_id() {
    let rejection = classify(
        &sample("malformed (no Id, no CreationTime)"),
        &OperationFilter::All,
    )
    .unwrap_err();
    assert_eq!(rejection.kind(), RejectionKind::MissingId);
    assert_eq!(rejection.to_string(), "record has no Id");
}

#[test]
fn raw_is_the_record_text_unmodified() {
    let raw = sample("launch, current shape (RecordType 256)");
    let event = classify(&raw, &OperationFilter::All).unwrap().unwrap();
    assert_eq!(event.raw, raw.get());
    assert!(
        event
            .raw
            .contains("\"RequiresCustomerKeyEncryption\": false")
    );
}

#[test]
fn operation_list_keeps_only_the_named_operations() {
    let filter = OperationFilter::parse("launchpowerapp").unwrap();
    let launch = sample("launch, current shape (RecordType 256)");
    let flow = sample("flow event (RecordType 30)");
    assert!(classify(&launch, &filter).unwrap().is_some());
    assert_eq!(classify(&flow, &filter).unwrap(), None);
}

#[test]
fn the_fixture_as_one_blob() {
    let all: Vec<Box<RawValue>> = serde_json::from_str::<HashMap<String, Box<RawValue>>>(SAMPLES)
        .unwrap()
        .into_values()
        .collect();
    let body = serde_json::to_string(&all).unwrap();
    let mut events = Vec::new();
    let mut count = BlobCount::default();
    classify_blob(
        body.as_bytes(),
        DEFAULT_MAX_RECORD_BYTES,
        &OperationFilter::default(),
        &mut count,
        |event| {
            events.push(event);
            Ok::<_, std::convert::Infallible>(())
        },
    )
    .unwrap();
    assert_eq!(
        (count.records, count.kept, count.filtered, count.rejected),
        (5, 4, 0, 1)
    );
    assert_eq!(count.rejected_by_reason.get(RejectionKind::MissingId), 1);
    assert_eq!(count.rejection_samples.len(), 1);
    assert_eq!(
        count.to_string(),
        "5 records: 4 kept, 0 filtered out, 1 rejected (1 missing_id)"
    );
    let mut ids: Vec<_> = events.iter().map(|e| e.id.as_str()).collect();
    ids.sort_unstable();
    assert_eq!(
        ids,
        [
            "ae9f8ad8-eab4-4243-a078-61a33b28ff2c",
            "bd3e75fa-3345-4a17-8999-d6f0c4d90124",
            "c84396c3-def1-4a63-9a99-c10f2aa3eddc",
            "dcf3e064-c381-47ef-84bf-21afaca46039",
        ]
    );
}
