//! `read_blob` and `classify_blob` on generated and hostile bodies.

use std::convert::Infallible;
use std::io::{self, Read};

use audit_records::{
    BlobCount, BlobError, DEFAULT_MAX_RECORD_BYTES, MAX_RECORD_DEPTH, OperationFilter, Rejection,
    RejectionKind, classify, classify_blob, count_blob, read_blob,
};
use serde_json::value::RawValue;

type Element = Result<Box<RawValue>, Rejection>;

/// Reads a whole body, keeping the elements (fine for small test bodies).
fn elements(body: &[u8], max_record_bytes: usize) -> (Result<u64, BlobError>, Vec<Element>) {
    let mut seen = Vec::new();
    let result = read_blob(body, max_record_bytes, |element| {
        seen.push(element);
        Ok(())
    });
    (result, seen)
}

fn texts(elements: &[Element]) -> Vec<&str> {
    elements
        .iter()
        .map(|e| e.as_ref().expect("element accepted").get())
        .collect()
}

fn record(i: u64) -> String {
    format!(
        r#"{{"Id":"id-{i}","CreationTime":"2026-05-19T13:17:34","RecordType":256,"Workload":"PowerPlatform","Operation":"LaunchPowerApp","UserId":"user{i}@contoso.com","PropertyCollection":[{{"Name":"powerplatform.analytics.resource.power_app.id","Value":"app-{}"}}]}}"#,
        i % 7
    )
}

/// A body of `n` records produced on the fly, so the test itself holds no blob.
struct GeneratedBlob {
    next: u64,
    n: u64,
    pending: Vec<u8>,
    at: usize,
    closed: bool,
}

impl GeneratedBlob {
    fn new(n: u64) -> Self {
        GeneratedBlob {
            next: 0,
            n,
            pending: b"[".to_vec(),
            at: 0,
            closed: false,
        }
    }
}

impl Read for GeneratedBlob {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.at == self.pending.len() {
            self.pending.clear();
            self.at = 0;
            if self.next < self.n {
                if self.next > 0 {
                    self.pending.push(b',');
                }
                self.pending.extend_from_slice(record(self.next).as_bytes());
                self.next += 1;
            } else if !self.closed {
                self.pending.push(b']');
                self.closed = true;
            } else {
                return Ok(0);
            }
        }
        let n = buf.len().min(self.pending.len() - self.at);
        buf[..n].copy_from_slice(&self.pending[self.at..self.at + n]);
        self.at += n;
        Ok(n)
    }
}

#[test]
fn streams_a_large_blob_element_by_element() {
    const N: u64 = 100_000;
    let mut expected = 0u64;
    let filter = OperationFilter::default();
    let read = read_blob(GeneratedBlob::new(N), DEFAULT_MAX_RECORD_BYTES, |element| {
        let raw = element.expect("valid element");
        assert_eq!(raw.get(), record(expected));
        let event = classify(&raw, &filter).unwrap().unwrap();
        assert_eq!(event.id, format!("id-{expected}"));
        expected += 1;
        Ok::<_, Infallible>(())
    })
    .unwrap();
    assert_eq!(read, N);
    assert_eq!(expected, N);
}

#[test]
fn classify_blob_counts_and_hands_over_kept_events() {
    let body = format!(
        r#"[{},{{"Id":"x","CreationTime":"2026-05-19T13:17:34","RecordType":2,"Workload":"Exchange"}},42,{{"RecordType":1}},{}]"#,
        record(1),
        record(2)
    );
    let mut count = BlobCount::default();
    let mut ids = Vec::new();
    classify_blob(
        body.as_bytes(),
        DEFAULT_MAX_RECORD_BYTES,
        &OperationFilter::default(),
        &mut count,
        |event| {
            ids.push(event.id);
            Ok::<_, Infallible>(())
        },
    )
    .unwrap();
    assert_eq!(ids, ["id-1", "id-2"]);
    assert_eq!(
        (count.records, count.kept, count.filtered, count.rejected),
        (5, 2, 1, 2)
    );
    assert_eq!(count.rejected_by_reason.get(RejectionKind::NotAnObject), 1);
    assert_eq!(count.rejected_by_reason.get(RejectionKind::MissingId), 1);
    let samples: Vec<String> = count
        .rejection_samples
        .iter()
        .map(|s| s.to_string())
        .collect();
    assert_eq!(
        samples,
        [
            "record 2: record is not a JSON object (got a number)",
            "record 3: record has no Id"
        ]
    );
}

#[test]
fn classify_blob_stops_when_the_consumer_goes_away() {
    let mut count = BlobCount::default();
    let mut delivered = 0;
    let err = classify_blob(
        GeneratedBlob::new(10),
        DEFAULT_MAX_RECORD_BYTES,
        &OperationFilter::All,
        &mut count,
        |_| {
            if delivered == 3 {
                return Err("channel closed");
            }
            delivered += 1;
            Ok(())
        },
    )
    .unwrap_err();
    assert!(
        matches!(
            err,
            BlobError::Aborted {
                records: 4,
                source: "channel closed"
            }
        ),
        "{err:?}"
    );
    assert_eq!(count.kept, 3);
    assert_eq!(count.records, 3);
}

#[test]
fn read_blob_reports_the_callback_error() {
    #[derive(Debug, thiserror::Error, PartialEq)]
    #[error("consumer gone")]
    struct Gone;
    let mut calls = 0;
    let err = read_blob(GeneratedBlob::new(10), DEFAULT_MAX_RECORD_BYTES, |_| {
        calls += 1;
        if calls == 2 { Err(Gone) } else { Ok(()) }
    })
    .unwrap_err();
    assert_eq!(err.records(), 2);
    assert_eq!(
        err.to_string(),
        "reading stopped after 2 records because the consumer refused one: consumer gone"
    );
    assert!(matches!(err, BlobError::Aborted { source: Gone, .. }));
}

#[test]
fn empty_array_and_whitespace() {
    let (result, seen) = elements(b" \n[ ] \n", DEFAULT_MAX_RECORD_BYTES);
    assert_eq!(result.unwrap(), 0);
    assert!(seen.is_empty());

    let body = b"\xEF\xBB\xBF[\n  {\"a\" : [1, 2]} ,\n\t\"x\"  ,  -12.5e3 , 7 ,true,null\n]\n";
    let (result, seen) = elements(body, DEFAULT_MAX_RECORD_BYTES);
    assert_eq!(result.unwrap(), 6);
    assert_eq!(
        texts(&seen),
        ["{\"a\" : [1, 2]}", "\"x\"", "-12.5e3", "7", "true", "null"]
    );
}

#[test]
fn non_object_elements_are_rejected_by_classify_not_by_the_blob() {
    let body = format!(r#"[1,"x",null,[{}],{}]"#, record(0), record(1));
    let (result, seen) = elements(body.as_bytes(), DEFAULT_MAX_RECORD_BYTES);
    assert_eq!(result.unwrap(), 5);
    let kinds: Vec<_> = seen
        .iter()
        .map(|e| {
            classify(e.as_ref().unwrap(), &OperationFilter::All)
                .map(|kept| kept.map(|event| event.id))
                .map_err(|r| r.kind())
        })
        .collect();
    assert_eq!(
        kinds,
        [
            Err(RejectionKind::NotAnObject),
            Err(RejectionKind::NotAnObject),
            Err(RejectionKind::NotAnObject),
            Err(RejectionKind::NotAnObject),
            Ok(Some("id-1".to_owned())),
        ]
    );
}

#[test]
fn truncated_bodies_say_how_far_they_got() {
    let body = format!("[{},{},{}]", record(0), record(1), record(2));
    let second_end = 1 + record(0).len() + 1 + record(1).len();
    for (cut, complete) in [
        (1, 0),
        (10, 0),
        (second_end, 2),
        (second_end + 1, 2),
        (second_end + 20, 2),
        (body.len() - 1, 3),
    ] {
        let (result, _) = elements(&body.as_bytes()[..cut], DEFAULT_MAX_RECORD_BYTES);
        match result {
            Err(BlobError::Truncated { records, .. }) => {
                assert_eq!(records, complete, "cut at {cut}")
            }
            other => panic!("cut at {cut}: {other:?}"),
        }
    }
    let (result, _) = elements(
        &body.as_bytes()[..second_end + 20],
        DEFAULT_MAX_RECORD_BYTES,
    );
    let message = result.unwrap_err().to_string();
    assert!(
        message.starts_with("the blob ends early, after 2 records"),
        "{message}"
    );
}

#[test]
fn bodies_that_are_not_arrays() {
    for (body, shown) in [
        (
            &br#"{"error":{"code":"AF20051","message":"Content expired"}}"#[..],
            "AF20051",
        ),
        (b"", "nothing (empty body)"),
        (b"   ", "\"   \""),
        (b"<html><body>Service Unavailable</body></html>", "<html>"),
        (b"\"[\"", "\"\\\"[\\\"\""),
        (b"12", "\"12\""),
    ] {
        let (result, seen) = elements(body, DEFAULT_MAX_RECORD_BYTES);
        assert!(seen.is_empty());
        let err = result.unwrap_err();
        assert!(matches!(err, BlobError::NotAnArray { .. }), "{err:?}");
        assert_eq!(err.records(), 0);
        let message = err.to_string();
        assert!(
            message.starts_with("the blob is not a JSON array"),
            "{message}"
        );
        assert!(message.contains(shown), "{message}");
    }
}

#[test]
fn broken_json_between_elements_is_fatal() {
    for (body, complete, offset) in [
        (&b"[{\"a\":1} {\"b\":2}]"[..], 1, 9),
        (b"[{\"a\":1},]", 1, 9),
        (b"[,{\"a\":1}]", 0, 1),
        (b"[{\"a\":1}] trailing", 1, 10),
    ] {
        let (result, _) = elements(body, DEFAULT_MAX_RECORD_BYTES);
        match result {
            Err(BlobError::Syntax {
                records,
                offset: at,
                ..
            }) => {
                assert_eq!(records, complete);
                assert_eq!(at, offset);
            }
            other => panic!("{}: {other:?}", String::from_utf8_lossy(body)),
        }
    }
    let (result, _) = elements(b"[{\"a\":1} x]", DEFAULT_MAX_RECORD_BYTES);
    assert_eq!(
        result.unwrap_err().to_string(),
        "the blob is not valid JSON after 1 records: expected `,` or `]` after a record at \
         byte 9, found `x`"
    );
}

#[test]
fn broken_json_inside_a_record_rejects_that_record_only() {
    for broken in [
        &b"{\"b\":tru}"[..],
        b"{\"b\":\"\x01\"}",
        b"{\"b\" 1}",
        b"\xff",
    ] {
        let mut body = b"[".to_vec();
        body.extend_from_slice(broken);
        body.push(b',');
        body.extend_from_slice(record(1).as_bytes());
        body.push(b']');
        let (result, seen) = elements(&body, DEFAULT_MAX_RECORD_BYTES);
        assert_eq!(result.unwrap(), 2, "{}", String::from_utf8_lossy(broken));
        let kind = seen[0].as_ref().unwrap_err().kind();
        assert!(
            matches!(
                kind,
                RejectionKind::InvalidJson | RejectionKind::InvalidUtf8
            ),
            "{kind:?}"
        );
        assert_eq!(seen[1].as_ref().unwrap().get(), record(1));
    }
}

#[test]
fn invalid_utf8_inside_a_record_rejects_that_record() {
    let mut body = b"[{\"Id\":\"a\xff\xfeb\"},".to_vec();
    body.extend_from_slice(record(1).as_bytes());
    body.push(b']');
    let (result, seen) = elements(&body, DEFAULT_MAX_RECORD_BYTES);
    assert_eq!(result.unwrap(), 2);
    let rejection = seen[0].as_ref().unwrap_err();
    assert_eq!(rejection.kind(), RejectionKind::InvalidUtf8);
    assert_eq!(rejection.detail(), Some("at byte 8"));
    assert_eq!(seen[1].as_ref().unwrap().get(), record(1));
}

#[test]
fn deep_nesting_is_rejected_without_overflowing_the_stack() {
    let deep = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
    let deep_in_object = format!(r#"{{"Id":"x","Deep":{deep}}}"#);
    let body = format!("[{deep},{deep_in_object},{}]", record(5));
    let (result, seen) = elements(body.as_bytes(), DEFAULT_MAX_RECORD_BYTES);
    assert_eq!(result.unwrap(), 3);
    for element in &seen[..2] {
        let rejection = element.as_ref().unwrap_err();
        assert_eq!(rejection.kind(), RejectionKind::TooDeep);
    }
    assert_eq!(
        seen[0].as_ref().unwrap_err().detail(),
        Some("10000 levels, at most 128 allowed")
    );
    assert_eq!(seen[2].as_ref().unwrap().get(), record(5));
}

#[test]
fn nesting_up_to_the_limit_is_accepted() {
    let at_limit = format!(
        "{}{}",
        "[".repeat(MAX_RECORD_DEPTH),
        "]".repeat(MAX_RECORD_DEPTH)
    );
    let over = format!("[{at_limit}]");
    let body = format!("[{at_limit},{over}]");
    let (result, seen) = elements(body.as_bytes(), DEFAULT_MAX_RECORD_BYTES);
    assert_eq!(result.unwrap(), 2);
    assert_eq!(seen[0].as_ref().unwrap().get(), at_limit);
    assert_eq!(seen[1].as_ref().unwrap_err().kind(), RejectionKind::TooDeep);
}

#[test]
fn brackets_inside_strings_do_not_count_as_nesting() {
    let text = format!(r#"{{"Id":"{}","x":"\\\"["}}"#, "[".repeat(1000));
    let body = format!("[{text}]");
    let (result, seen) = elements(body.as_bytes(), DEFAULT_MAX_RECORD_BYTES);
    assert_eq!(result.unwrap(), 1);
    assert_eq!(seen[0].as_ref().unwrap().get(), text);
}

#[test]
fn oversized_records_are_rejected_and_skipped() {
    let big = format!(r#"{{"Id":"big","Padding":"{}"}}"#, "x".repeat(5000));
    let frame = r#"{"Id":"fit","Padding":""}"#.len();
    let fits = format!(r#"{{"Id":"fit","Padding":"{}"}}"#, "y".repeat(1024 - frame));
    assert_eq!(fits.len(), 1024);
    let body = format!("[{big},{fits},{}]", record(3));
    let (result, seen) = elements(body.as_bytes(), 1024);
    assert_eq!(result.unwrap(), 3);
    let rejection = seen[0].as_ref().unwrap_err();
    assert_eq!(rejection.kind(), RejectionKind::TooLarge);
    assert_eq!(
        rejection.to_string(),
        format!(
            "record is larger than the size limit ({} bytes, at most 1024 allowed)",
            big.len()
        )
    );
    assert_eq!(seen[1].as_ref().unwrap().get(), fits);
    assert_eq!(seen[2].as_ref().unwrap().get(), record(3));
}

#[test]
fn a_huge_deeply_nested_record_is_skipped_in_bounded_memory() {
    // 2 MB of nesting, a million levels: over the default size limit, skipped.
    let levels = 1_000_000;
    let mut body = Vec::with_capacity(2 * levels + 100);
    body.extend_from_slice(b"[");
    body.resize(1 + levels, b'[');
    body.resize(1 + 2 * levels, b']');
    body.extend_from_slice(b",{\"Id\":\"after\"}]");
    let (result, seen) = elements(&body, DEFAULT_MAX_RECORD_BYTES);
    assert_eq!(result.unwrap(), 2);
    assert_eq!(
        seen[0].as_ref().unwrap_err().kind(),
        RejectionKind::TooLarge
    );
    assert_eq!(seen[1].as_ref().unwrap().get(), "{\"Id\":\"after\"}");
}

#[test]
fn oversized_deep_nesting_is_skipped_too() {
    let body = format!(
        "[{},{}{},{}]",
        record(0),
        "[".repeat(5000),
        "]".repeat(5000),
        record(2)
    );
    let (result, seen) = elements(body.as_bytes(), 1000);
    assert_eq!(result.unwrap(), 3);
    assert_eq!(
        seen[1].as_ref().unwrap_err().kind(),
        RejectionKind::TooLarge
    );
    assert_eq!(seen[2].as_ref().unwrap().get(), record(2));
}

#[test]
fn reader_failures_are_reported_with_progress() {
    struct Failing(Vec<u8>, usize);
    impl Read for Failing {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            if self.1 >= self.0.len() {
                return Err(io::Error::new(
                    io::ErrorKind::ConnectionReset,
                    "reset by peer",
                ));
            }
            let n = buf.len().min(self.0.len() - self.1);
            buf[..n].copy_from_slice(&self.0[self.1..self.1 + n]);
            self.1 += n;
            Ok(n)
        }
    }
    let body = format!("[{},{},{}", record(0), record(1), &record(2)[..10]);
    let (result, seen) = {
        let mut seen = 0;
        let result = read_blob(
            Failing(body.into_bytes(), 0),
            DEFAULT_MAX_RECORD_BYTES,
            |_| {
                seen += 1;
                Ok::<_, Infallible>(())
            },
        );
        (result, seen)
    };
    assert_eq!(seen, 2);
    match result {
        Err(BlobError::Read { records: 2, source }) => {
            assert_eq!(source.kind(), io::ErrorKind::ConnectionReset)
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn counting_a_blob_tallies_what_classifying_it_does() {
    let other = r#"{"Id":"x","CreationTime":"2026-05-19T13:17:34","RecordType":15,"Workload":"AzureActiveDirectory","Operation":"UserLoggedIn"}"#;
    let body = format!("[{},{other},{{\"Id\":3}},{}]", record(1), record(2));
    let filter = OperationFilter::default();
    let counted = count_blob(body.as_bytes(), DEFAULT_MAX_RECORD_BYTES, &filter).unwrap();
    let mut classified = BlobCount::default();
    let mut kept = 0;
    classify_blob(
        body.as_bytes(),
        DEFAULT_MAX_RECORD_BYTES,
        &filter,
        &mut classified,
        |_| {
            kept += 1;
            Ok::<_, Infallible>(())
        },
    )
    .unwrap();
    assert_eq!((counted.records, counted.kept, counted.rejected), (4, 2, 1));
    assert_eq!(counted, classified);
    assert_eq!(kept, 2);
}
