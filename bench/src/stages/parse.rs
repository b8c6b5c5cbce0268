//! Stage (a): every blob fetched whole, then parsed and filtered on this thread alone, as the
//! sync does (`parse-typed`) or into `serde_json::Value`s (`parse-value`).

use std::time::{Duration, Instant};

use audit_records::{DEFAULT_MAX_RECORD_BYTES, OperationFilter, count_blob};
use serde_json::{Value, json};

use super::baseline::parse_values;
use super::{list_blobs, session};
use crate::BoxError;
use crate::measure::thread_cpu;

/// Stage (a). Bodies are fetched whole first (that time is reported apart), then parsed on
/// this thread, so the parse time is CPU time of one core.
pub(super) async fn parse(value_baseline: bool) -> Result<Value, BoxError> {
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
    let count = count_blob(body, DEFAULT_MAX_RECORD_BYTES, filter)?;
    Ok((count.records, count.kept))
}

#[cfg(test)]
mod tests {
    use super::*;

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
