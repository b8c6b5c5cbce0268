//! Property tests: no input makes the parser panic, the blob reader cuts elements
//! exactly as serde_json parses them, and valid records come back unchanged.

use std::convert::Infallible;
use std::io::{self, Read};

use audit_records::{
    AuditEvent, BlobCount, BlobError, DEFAULT_MAX_RECORD_BYTES, OperationFilter, classify,
    classify_blob, read_blob,
};
use proptest::prelude::*;
use serde_json::value::RawValue;
use serde_json::{Map, Value, json};
use time::{Date, Month, OffsetDateTime, PrimitiveDateTime, Time};

const KEYS: &[&str] = &[
    "Id",
    "CreationTime",
    "RecordType",
    "Operation",
    "Workload",
    "UserId",
    "UserKey",
    "ResultStatus",
    "ClientIP",
    "ObjectId",
    "AppName",
    "AppDisplayName",
    "EnvironmentId",
    "EnvironmentName",
    "FlowDetailsUrl",
    "PropertyCollection",
    "Name",
    "Value",
];

const STRINGS: &[&str] = &[
    "2026-05-19T13:17:34",
    "2026-05-19T13:17:34.1234567Z",
    "PowerApps",
    "PowerPlatform",
    "MicrosoftFlow",
    "LaunchPowerApp",
    "PowerApp",
    "CloudFlow",
    "powerplatform.analytics.resource.power_app.id",
    "powerplatform.analytics.resource.cloud_flow.id",
    "powerplatform.analytics.resource.environment.id",
    "powerplatform.analytics.resource.type",
    "enduser.principal_name",
    "https://make.powerautomate.com/environments/e/flows/cafdd23a-bba6-4b36-b1a0-161891166863",
    "9fb932d4-f039-4722-96ff-82e389e3995a",
    "",
];

fn key() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => prop::sample::select(KEYS).prop_map(str::to_owned),
        1 => ".{0,12}",
    ]
}

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        prop::num::f64::NORMAL.prop_map(Value::from),
        prop::sample::select(&[30i64, 45, 46, 79, 256][..]).prop_map(Value::from),
        prop::sample::select(STRINGS).prop_map(Value::from),
        ".{0,20}".prop_map(Value::String),
    ];
    leaf.prop_recursive(5, 48, 8, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::vec((key(), inner), 0..10)
                .prop_map(|entries| Value::Object(entries.into_iter().collect::<Map<_, _>>())),
        ]
    })
}

fn filters() -> [OperationFilter; 3] {
    [
        OperationFilter::default(),
        OperationFilter::All,
        OperationFilter::parse("LaunchPowerApp,CreateFlow").unwrap(),
    ]
}

fn classify_everywhere(raw: &RawValue) {
    for filter in filters() {
        if let Ok(Some(event)) = classify(raw, &filter) {
            assert_eq!(event.raw, raw.get());
            assert!(!event.id.trim().is_empty());
            let _ = event.creation_time_iso();
        }
    }
}

/// Hands the body out in pieces of the given sizes (cycled), like a network stream.
struct Chunked<'a> {
    body: &'a [u8],
    sizes: Vec<usize>,
    turn: usize,
}

impl Read for Chunked<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let want = self.sizes[self.turn % self.sizes.len()];
        self.turn += 1;
        let n = want.min(buf.len()).min(self.body.len());
        buf[..n].copy_from_slice(&self.body[..n]);
        self.body = &self.body[n..];
        Ok(n)
    }
}

fn whitespace() -> impl Strategy<Value = String> {
    prop::collection::vec(prop::sample::select(&[" ", "\n", "\t", "\r\n"][..]), 0..3)
        .prop_map(|parts| parts.concat())
}

prop_compose! {
    fn valid_record()(
        id in "x.{0,30}",
        // Real records: from 2000 to before the clock (later ones are implausible, tested apart).
        year in 2000i32..=2025,
        month in 1u8..=12,
        day in 1u8..=28,
        hour in 0u8..24,
        minute in 0u8..60,
        second in 0u8..60,
        fraction in prop::option::of("[0-9]{1,9}"),
        zulu in any::<bool>(),
        record_type in any::<i64>(),
        operation in ".{0,20}",
        workload in prop::sample::select(&["PowerApps", "PowerPlatform", "Exchange", ""][..]),
        extra in prop::collection::vec((".{1,10}", json_value()), 0..4),
    ) -> (Value, String, OffsetDateTime) {
        let mut text = format!("{year:04}-{month:02}-{day:02}T{hour:02}:{minute:02}:{second:02}");
        let mut nanos = 0;
        if let Some(digits) = &fraction {
            text.push('.');
            text.push_str(digits);
            nanos = format!("{digits:0<9}").parse::<u32>().unwrap();
        }
        if zulu {
            text.push('Z');
        }
        let expected = PrimitiveDateTime::new(
            Date::from_calendar_date(year, Month::try_from(month).unwrap(), day).unwrap(),
            Time::from_hms_nano(hour, minute, second, nanos).unwrap(),
        )
        .assume_utc();
        let mut record = Map::new();
        for (key, value) in extra {
            record.insert(format!("extra:{key}"), value);
        }
        record.insert("Id".into(), json!(id));
        record.insert("CreationTime".into(), json!(text));
        record.insert("RecordType".into(), json!(record_type));
        record.insert("Operation".into(), json!(operation));
        record.insert("Workload".into(), json!(workload));
        (Value::Object(record), id, expected)
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn classify_never_panics_on_json_values(value in json_value()) {
        let raw = RawValue::from_string(value.to_string()).unwrap();
        classify_everywhere(&raw);
    }

    #[test]
    fn classify_never_panics_on_json_objects(entries in prop::collection::vec((key(), json_value()), 0..16)) {
        let object = Value::Object(entries.into_iter().collect());
        let raw = RawValue::from_string(serde_json::to_string_pretty(&object).unwrap()).unwrap();
        classify_everywhere(&raw);
    }

    #[test]
    fn classify_never_panics_on_strings(text in ".{0,200}") {
        if let Ok(raw) = serde_json::from_str::<Box<RawValue>>(&text) {
            classify_everywhere(&raw);
        }
    }

    #[test]
    fn classify_never_panics_on_json_like_strings(
        text in r#"[{}\[\]",:0-9a-zA-Z \\.eE+-]{0,120}"#
    ) {
        if let Ok(raw) = serde_json::from_str::<Box<RawValue>>(&text) {
            classify_everywhere(&raw);
        }
    }

    #[test]
    fn read_blob_never_panics_on_bytes(
        bytes in prop::collection::vec(any::<u8>(), 0..600),
        bracket in any::<bool>(),
        limit in prop_oneof![Just(DEFAULT_MAX_RECORD_BYTES), 0usize..64],
    ) {
        let mut body = if bracket { b"[".to_vec() } else { Vec::new() };
        body.extend_from_slice(&bytes);
        let mut seen = 0u64;
        let result = read_blob(body.as_slice(), limit, |element| {
            seen += 1;
            if let Ok(raw) = element {
                classify_everywhere(&raw);
            }
            Ok::<_, Infallible>(())
        });
        match result {
            Ok(n) => prop_assert_eq!(n, seen),
            Err(err) => {
                prop_assert_eq!(err.records(), seen);
                let _ = err.to_string();
            }
        }
    }

    #[test]
    fn read_blob_never_panics_on_json_like_bytes(
        text in r#"\[[{}\[\]",:0-9a-z \\.e+-]{0,300}"#,
        limit in prop_oneof![Just(DEFAULT_MAX_RECORD_BYTES), 1usize..32],
    ) {
        let mut count = BlobCount::default();
        let result = classify_blob(text.as_bytes(), limit, &OperationFilter::All, &mut count, |_| {
            Ok::<_, Infallible>(())
        });
        prop_assert_eq!(count.records, count.kept + count.filtered + count.rejected);
        if let Ok(()) = result {
            prop_assert!(text.trim_end().ends_with(']'));
        }
    }

    /// The elements handed out are exactly the texts serde_json finds in the array.
    #[test]
    fn read_blob_cuts_elements_like_serde_json(
        values in prop::collection::vec(json_value(), 0..12),
        pretty in any::<bool>(),
        gaps in prop::collection::vec(whitespace(), 32),
        sizes in prop::collection::vec(1usize..40, 1..4),
    ) {
        let mut body = format!("{}[{}", gaps[0], gaps[1]);
        for (i, value) in values.iter().enumerate() {
            if i > 0 {
                body.push_str(&gaps[(2 * i) % 32]);
                body.push(',');
                body.push_str(&gaps[(2 * i + 1) % 32]);
            }
            let text = if pretty {
                serde_json::to_string_pretty(value).unwrap()
            } else {
                value.to_string()
            };
            body.push_str(&text);
        }
        body.push_str(&gaps[31]);
        body.push(']');
        body.push_str(&gaps[30]);

        let expected: Vec<Box<RawValue>> = serde_json::from_str(&body).unwrap();
        let mut got = Vec::new();
        let reader = Chunked { body: body.as_bytes(), sizes, turn: 0 };
        let n = read_blob(reader, DEFAULT_MAX_RECORD_BYTES, |element| {
            got.push(element.expect("valid element").get().to_owned());
            Ok::<_, Infallible>(())
        })
        .unwrap();
        prop_assert_eq!(n as usize, values.len());
        let expected: Vec<&str> = expected.iter().map(|raw| raw.get()).collect();
        prop_assert_eq!(got, expected);
    }

    #[test]
    fn valid_records_come_back_unchanged((record, id, time) in valid_record()) {
        let text = record.to_string();
        let raw = RawValue::from_string(text.clone()).unwrap();
        let event: AuditEvent = classify(&raw, &OperationFilter::All).unwrap().unwrap();
        prop_assert_eq!(&event.id, &id);
        prop_assert_eq!(event.creation_time, time);
        prop_assert_eq!(Some(event.record_type), record["RecordType"].as_i64());
        prop_assert_eq!(Some(event.operation.as_str()), record["Operation"].as_str());
        prop_assert_eq!(&event.raw, &text);
        prop_assert!(event.creation_time_iso().ends_with('Z'));
        prop_assert_eq!(event.creation_time_iso().len(), 20);
    }

    #[test]
    fn valid_records_come_back_unchanged_from_a_blob(
        records in prop::collection::vec(valid_record(), 0..20)
    ) {
        let body = Value::Array(records.iter().map(|(record, _, _)| record.clone()).collect()).to_string();
        let mut events = Vec::new();
        let mut count = BlobCount::default();
        let result: Result<(), BlobError> = classify_blob(
            body.as_bytes(),
            DEFAULT_MAX_RECORD_BYTES,
            &OperationFilter::All,
            &mut count,
            |event| {
                events.push(event);
                Ok(())
            },
        );
        result.unwrap();
        prop_assert_eq!(count.kept as usize, records.len());
        prop_assert_eq!(count.rejected, 0);
        for (event, (record, id, time)) in events.iter().zip(&records) {
            prop_assert_eq!(&event.id, id);
            prop_assert_eq!(event.creation_time, *time);
            prop_assert_eq!(&event.raw, &record.to_string());
        }
    }
}

/// Values for a top-level field: mostly what that field holds, sometimes another type.
fn field_value(name: &'static str) -> BoxedStrategy<String> {
    let fitting: &'static [&'static str] = match name {
        "Id" => &[
            "\"x-1\"",
            "\"9fb932d4-f039-4722-96ff-82e389e3995a\"",
            "\"\"",
        ],
        "CreationTime" => &[
            "\"2026-05-19T13:17:34\"",
            "\"2026-05-19T13:17:34.1234567Z\"",
            "\"soon\"",
        ],
        "RecordType" => &[
            "15",
            "256",
            "30",
            "45",
            "46",
            "79",
            "-1",
            "0",
            "2.56e2",
            "256.0",
            "\"256\"",
            "99999999999999999999",
        ],
        "Workload" => &[
            "\"PowerApps\"",
            "\"powerapps\"",
            "\"Power\\u0041pps\"",
            "\"PowerPlatform\"",
            "\"MicrosoftFlow\"",
            "\"Exchange\"",
            "\"\"",
            "null",
        ],
        "Operation" => &[
            "\"LaunchPowerApp\"",
            "\"launchpowerapp\"",
            "\"Launch\\u0050owerApp\"",
            "\"CreateFlow\"",
            "\"UserLoggedIn\"",
            "7",
        ],
        "PropertyCollection" => &[
            "[{\"Name\":\"powerplatform.analytics.resource.power_app.id\",\"Value\":\"a\"}]",
            "[{\"Name\":\"powerplatform.analytics.resource.type\",\"Value\":\"PowerApp\"}]",
            "[{\"Name\":\"powerplatform.analytics.resource.type\",\"Value\":\"Environment\"}]",
        ],
        _ => &[
            "{\"Workload\":\"PowerApps\",\"RecordType\":256,\"Operation\":\"LaunchPowerApp\"}",
            "\"a,b]}\\\"\"",
        ],
    };
    prop_oneof![
        6 => prop::sample::select(fitting).prop_map(str::to_owned),
        1 => json_value().prop_map(|v| v.to_string()),
    ]
    .boxed()
}

/// A top-level field as text, sometimes written the ways a skim could misread: an escaped
/// key, padding around the colon.
fn field_text(name: &'static str) -> impl Strategy<Value = String> {
    (
        field_value(name),
        prop::bool::weighted(0.15),
        whitespace(),
        whitespace(),
    )
        .prop_map(move |(value, escape, before, after)| {
            let key = if escape {
                // The same key with its first letter escaped: serde_json reads it as the name.
                format!("\\u{:04x}{}", name.as_bytes()[0], &name[1..])
            } else {
                name.to_owned()
            };
            format!("\"{key}\"{before}:{after}{value}")
        })
}

/// Records as a tenant's blob could hold them: the required fields usually there, the
/// others in any order, some given twice.
fn audit_like_record() -> impl Strategy<Value = String> {
    let required = ["Id", "CreationTime", "RecordType"]
        .map(|name| prop::option::weighted(0.9, field_text(name)).boxed());
    let others = prop::collection::vec(
        prop::sample::select(
            &[
                "Operation",
                "Workload",
                "PropertyCollection",
                "Nested",
                "RecordType",
                "UserId",
            ][..],
        )
        .prop_flat_map(field_text),
        0..5,
    );
    let record = (required, others, whitespace()).prop_flat_map(|(required, others, gap)| {
        let fields: Vec<String> = required.into_iter().flatten().chain(others).collect();
        Just(fields)
            .prop_shuffle()
            .prop_map(move |fields| format!("{{{gap}{}{gap}}}", fields.join(&format!(",{gap}"))))
    });
    prop_oneof![
        6 => record,
        1 => json_value().prop_map(|v| v.to_string()),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// The skim drops a record only when the full classification would not keep it: a
    /// blob's kept events are exactly those of each record classified alone.
    #[test]
    fn skimming_keeps_what_classification_keeps(
        records in prop::collection::vec(audit_like_record(), 0..12),
        sizes in prop::collection::vec(1usize..64, 1..4),
    ) {
        // Each record valid JSON, so that serde_json can cut the array to compare with.
        let records: Vec<String> = records
            .into_iter()
            .filter(|r| serde_json::from_str::<&RawValue>(r).is_ok())
            .collect();
        let body = format!("[{}]", records.join(","));
        let elements: Vec<Box<RawValue>> = serde_json::from_str(&body).unwrap();
        for filter in filters() {
            let expected: Vec<String> = elements
                .iter()
                .filter_map(|raw| classify(raw, &filter).ok().flatten())
                .map(|event| event.raw)
                .collect();
            let mut got = Vec::new();
            let mut count = BlobCount::default();
            let reader = Chunked { body: body.as_bytes(), sizes: sizes.clone(), turn: 0 };
            classify_blob(reader, DEFAULT_MAX_RECORD_BYTES, &filter, &mut count, |event| {
                got.push(event.raw);
                Ok::<_, Infallible>(())
            })
            .unwrap();
            prop_assert_eq!(&got, &expected, "filter {}", filter);
            prop_assert_eq!(count.records as usize, elements.len());
        }
    }
}
