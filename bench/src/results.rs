//! What the benchmark measured: one run of a stage, everything at one tenant size, and the
//! circumstances of the whole run; with the figures the tables derive from them.

use std::time::Duration;

use serde_json::Value;

use crate::dynamo::Counts;
use crate::measure::Usage;
use crate::tenant::TenantSize;

/// One measured child process.
#[derive(Debug, Clone)]
pub struct StageRun {
    pub out: Value,
    pub usage: Usage,
    /// Token and API requests the emulator served.
    pub api_requests: u64,
    pub blob_requests: u64,
    pub dynamo: Option<Counts>,
    /// CPU this (orchestrating) process spent meanwhile: the emulator and the DynamoDB endpoint.
    pub harness_cpu_s: f64,
    /// moto's CPU time meanwhile (stage c).
    pub moto_cpu_s: Option<f64>,
}

impl StageRun {
    /// A figure the stage printed; NaN where it printed none, so a rate of it shows as a dash.
    pub fn f(&self, pointer: &str) -> f64 {
        self.out
            .pointer(pointer)
            .and_then(Value::as_f64)
            .unwrap_or(f64::NAN)
    }

    pub fn u(&self, pointer: &str) -> u64 {
        self.out
            .pointer(pointer)
            .and_then(Value::as_u64)
            .unwrap_or(0)
    }

    /// What the DynamoDB endpoint counted; all zero where the stage used none.
    pub fn counts(&self) -> Counts {
        self.dynamo.clone().unwrap_or_default()
    }

    /// Events stored by a sync run (new ones; the black hole never has any already).
    pub fn events(&self) -> u64 {
        self.u("/summary/events_new")
    }

    /// Every DynamoDB write request the run made, as the endpoint counted them.
    pub fn write_requests(&self) -> u64 {
        self.dynamo.as_ref().map_or(0, |d| d.write_requests)
    }

    pub fn events_per_write(&self) -> f64 {
        self.events() as f64 / self.write_requests().max(1) as f64
    }

    /// Event items written beyond the kept Power Platform events: records the filter should
    /// have dropped.
    pub fn filtered_writes(&self) -> u64 {
        let d = self.counts();
        d.event_items_not_power_platform + d.event_items.saturating_sub(self.events())
    }

    /// Records parsed per second of the parsing thread's CPU time (stage a).
    pub fn records_per_cpu_s(&self) -> f64 {
        self.f("/records") / self.f("/parse_cpu_s")
    }

    /// Megabytes parsed per second of the parsing thread's CPU time (stage a).
    pub fn mb_per_cpu_s(&self) -> f64 {
        self.f("/bytes") / self.f("/parse_cpu_s") / 1e6
    }
}

/// Everything measured for one tenant size.
#[derive(Debug, Clone)]
pub struct SizeResults {
    pub size: TenantSize,
    pub emulator_start_s: f64,
    pub records: u64,
    pub power_platform_records: u64,
    pub blobs: u64,
    pub parse_typed: StageRun,
    pub parse_value: StageRun,
    pub sync16: StageRun,
    pub sync1: StageRun,
    pub naive: StageRun,
    pub latency: Option<(StageRun, StageRun)>,
    pub moto: Option<StageRun>,
}

impl SizeResults {
    /// The whole sync's CPU (b, concurrency 16, the child process) per listed record, in µs.
    pub fn cpu_us_per_record(&self) -> f64 {
        self.sync16.usage.cpu_s() * 1e6 / self.records.max(1) as f64
    }

    /// The same per kept (stored) event.
    pub fn cpu_us_per_event(&self) -> f64 {
        self.sync16.usage.cpu_s() * 1e6 / self.sync16.events().max(1) as f64
    }
}

/// When and on what the benchmark ran: other work on the machine shows in the load average.
pub struct Context {
    pub started: time::OffsetDateTime,
    pub load_before: Option<f64>,
    pub load_after: Option<f64>,
    pub wall: Duration,
}
