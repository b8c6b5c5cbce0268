//! Every variable the functions read, once: who reads it, its default and what it means. The
//! readers take their defaults from here, and a test holds the README and the template to it.

use std::fmt::Write as _;

/// A function of the product, as the table names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Function {
    /// `audit-subscription`.
    Subscription,
    /// `audit-sync`.
    Sync,
    /// `audit-report`.
    Report,
}

impl Function {
    /// The short name the README uses.
    pub fn name(self) -> &'static str {
        match self {
            Function::Subscription => "subscription",
            Function::Sync => "sync",
            Function::Report => "report",
        }
    }

    /// The binary, as the template's `Binary:` names it.
    pub fn binary(self) -> &'static str {
        match self {
            Function::Subscription => "audit-subscription",
            Function::Sync => "audit-sync",
            Function::Report => "audit-report",
        }
    }
}

/// What an unset variable means.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DefaultValue {
    /// It must be set.
    Required,
    /// Nothing: the feature it configures is off or another variable is used.
    Nothing,
    /// This literal value.
    Value(&'static str),
}

impl DefaultValue {
    /// The literal default, if there is one.
    pub fn value(self) -> Option<&'static str> {
        match self {
            DefaultValue::Value(value) => Some(value),
            _ => None,
        }
    }

    fn markdown(self) -> String {
        match self {
            DefaultValue::Required => "required".into(),
            DefaultValue::Nothing => "—".into(),
            DefaultValue::Value(value) => format!("`{value}`"),
        }
    }
}

/// One environment variable.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Var {
    /// Its name, e.g. `AUDIT_LOGS_TENANT_ID`.
    pub name: &'static str,
    /// The functions that read it.
    pub functions: &'static [Function],
    /// What an unset (or empty) variable means.
    pub default: DefaultValue,
    /// What it is for, in the README's words (Markdown).
    pub meaning: &'static str,
}

use DefaultValue::{Nothing, Value};
use Function::{Report, Subscription, Sync};

const API: &[Function] = &[Subscription, Sync];
const ALL: &[Function] = &[Subscription, Sync, Report];

/// The tenant's Directory ID.
pub const TENANT_ID: Var = Var {
    name: "AUDIT_LOGS_TENANT_ID",
    functions: ALL,
    default: Nothing,
    meaning: "the Directory ID (a GUID) of the tenant the variables configure; required unless every tenant is in the registry ([Many tenants](#many-tenants))",
};
/// The app registration's client id.
pub const CLIENT_ID: Var = Var {
    name: "AUDIT_LOGS_CLIENT_ID",
    functions: API,
    default: Nothing,
    meaning: "that tenant's app registration's Application (client) ID; required with `AUDIT_LOGS_TENANT_ID`",
};
/// Where the client secret is kept.
pub const CLIENT_SECRET_ARN: Var = Var {
    name: "AUDIT_LOGS_CLIENT_SECRET_ARN",
    functions: API,
    default: Nothing,
    meaning: "name or ARN of the Secrets Manager secret holding the client secret, as a plain string or `{\"client_secret\": \"...\"}`; with `AUDIT_LOGS_TENANT_ID`, this, the certificate or `AUDIT_LOGS_CLIENT_SECRET` is required",
};
/// Where the certificate is kept, when it replaces the secret.
pub const CLIENT_CERTIFICATE_ARN: Var = Var {
    name: "AUDIT_LOGS_CLIENT_CERTIFICATE_ARN",
    functions: API,
    default: Nothing,
    meaning: "name or ARN of the Secrets Manager secret holding the app's certificate and private key as PEM ([Certificates](#certificates)); when set, it is used instead of a secret",
};
/// The client secret itself.
pub const CLIENT_SECRET: Var = Var {
    name: "AUDIT_LOGS_CLIENT_SECRET",
    functions: API,
    default: Nothing,
    meaning: "the client secret in plain text, used only when no ARN is set (not recommended)",
};
/// The Microsoft cloud.
pub const CLOUD: Var = Var {
    name: "AUDIT_LOGS_CLOUD",
    functions: API,
    default: Value("commercial"),
    meaning: "`commercial`, `gcc`, `gcchigh` or `dod` ([Clouds](#clouds))",
};
/// The Management API root.
pub const AUDIENCE: Var = Var {
    name: "AUDIT_LOGS_AUDIENCE",
    functions: API,
    default: Nothing,
    meaning: "override of the cloud's API root, e.g. `https://manage.office.com`",
};
/// The token host.
pub const AUTHORITY: Var = Var {
    name: "AUDIT_LOGS_AUTHORITY",
    functions: API,
    default: Nothing,
    meaning: "override of the cloud's token host, e.g. `https://login.microsoftonline.com`",
};
/// Which Entra token endpoint.
pub const TOKEN_VERSION: Var = Var {
    name: "AUDIT_LOGS_TOKEN_VERSION",
    functions: API,
    default: Value("v1"),
    meaning: "token endpoint: `v1` (`resource=`) or `v2` (`scope=.../.default`)",
};
/// The content types to subscribe to and sync.
pub const CONTENT_TYPES: Var = Var {
    name: "AUDIT_LOGS_CONTENT_TYPES",
    functions: API,
    default: Value("Audit.General"),
    meaning: "comma-separated content types (Power Platform events are in `Audit.General`)",
};
/// The PublisherIdentifier.
pub const PUBLISHER_ID: Var = Var {
    name: "AUDIT_LOGS_PUBLISHER_ID",
    functions: API,
    default: Nothing,
    meaning: "the `PublisherIdentifier` GUID sent on every call (it selects the throttling quota); unset: the tenant id",
};
/// Retries of one API call.
pub const MAX_RETRIES: Var = Var {
    name: "AUDIT_LOGS_MAX_RETRIES",
    functions: API,
    default: Value("8"),
    meaning: "retries of a throttled or failed API or token call (0 to 50)",
};
/// The first backoff.
pub const RETRY_BASE_MS: Var = Var {
    name: "AUDIT_LOGS_RETRY_BASE_MS",
    functions: API,
    default: Value("500"),
    meaning: "first backoff in ms, doubling per retry (full jitter, at most 30 s; `Retry-After` honoured)",
};
/// The retry budget of one call.
pub const RETRY_MAX_SECONDS: Var = Var {
    name: "AUDIT_LOGS_RETRY_MAX_SECONDS",
    functions: API,
    default: Value("180"),
    meaning: "no retry starts this long after the first attempt",
};
/// The events table.
pub const TABLE: Var = Var {
    name: "AUDIT_LOGS_TABLE",
    functions: &[Sync, Report],
    default: Value("audit-log-events"),
    meaning: "the events table",
};
/// The state table.
pub const STATE_TABLE: Var = Var {
    name: "AUDIT_LOGS_STATE_TABLE",
    functions: ALL,
    default: Value("audit-log-state"),
    meaning: "the state table (watermarks, ledger, lock, tenant registry)",
};
/// The operations kept.
pub const OPERATIONS: Var = Var {
    name: "AUDIT_LOGS_OPERATIONS",
    functions: &[Sync],
    default: Nothing,
    meaning: "operations to keep, e.g. `LaunchPowerApp,DeletePowerApp`; `*` keeps every record; unset: every Power Apps and Power Automate operation",
};
/// Blobs at once.
pub const CONCURRENCY: Var = Var {
    name: "AUDIT_LOGS_CONCURRENCY",
    functions: &[Sync],
    default: Value("16"),
    meaning: "blobs fetched and stored at once (1 to 256)",
};
/// The first run's start.
pub const INITIAL_LOOKBACK_HOURS: Var = Var {
    name: "AUDIT_LOGS_INITIAL_LOOKBACK_HOURS",
    functions: &[Sync],
    default: Value("24"),
    meaning: "how far back the first run starts (1 to 168)",
};
/// How long event items are kept.
pub const EVENT_RETENTION_DAYS: Var = Var {
    name: "AUDIT_LOGS_EVENT_RETENTION_DAYS",
    functions: &[Sync],
    default: Value("0"),
    meaning: "days an event item is kept after its `CreationTime` before DynamoDB's TTL deletes it (0: for good; 1 to 3650); the usage summaries are always kept",
};
/// The automatic sweep's period.
pub const SWEEP_HOURS: Var = Var {
    name: "AUDIT_LOGS_SWEEP_HOURS",
    functions: &[Sync],
    default: Value("24"),
    meaning: "a scheduled run also sweeps the API's 7 days, back to where the sync began (listing them, fetching only what the ledger lacks), once the last sweep is this many hours old (0: never; 1 to 168)",
};
/// The overlap.
pub const OVERLAP_MINUTES: Var = Var {
    name: "AUDIT_LOGS_OVERLAP_MINUTES",
    functions: &[Sync],
    default: Value("720"),
    meaning: "how far before the watermark each run lists again",
};
/// A time limit outside Lambda.
pub const MAX_RUN_SECONDS: Var = Var {
    name: "AUDIT_LOGS_MAX_RUN_SECONDS",
    functions: &[Sync],
    default: Value("0"),
    meaning: "outside Lambda: stop taking new blobs after this long (0: no limit)",
};
/// The margin before Lambda's deadline.
pub const DEADLINE_MARGIN_SECONDS: Var = Var {
    name: "AUDIT_LOGS_DEADLINE_MARGIN_SECONDS",
    functions: &[Sync],
    default: Value("60"),
    meaning: "stop taking new blobs this long before Lambda's deadline",
};
/// The run lock's lease.
pub const LOCK_LEASE_SECONDS: Var = Var {
    name: "AUDIT_LOGS_LOCK_LEASE_SECONDS",
    functions: &[Sync],
    default: Value("60"),
    meaning: "the run lock's lease; a crashed run's lock frees itself this fast",
};
/// The dashboard's bucket.
pub const REPORT_BUCKET: Var = Var {
    name: "AUDIT_LOGS_REPORT_BUCKET",
    functions: &[Report],
    default: Nothing,
    meaning: "S3 bucket the dashboard is published to; needed only for `\"publish\": true`",
};
/// The published pages' key prefix.
pub const REPORT_PREFIX: Var = Var {
    name: "AUDIT_LOGS_REPORT_PREFIX",
    functions: &[Report],
    default: Value("reports/"),
    meaning: "key prefix of published pages (the template's IAM allows only `reports/`)",
};
/// How long a published link works.
pub const REPORT_URL_SECONDS: Var = Var {
    name: "AUDIT_LOGS_REPORT_URL_SECONDS",
    functions: &[Report],
    default: Value("3600"),
    meaning: "how long a pre-signed link works (at most 604800)",
};

/// The tenants one report function may read.
pub const REPORT_TENANTS: Var = Var {
    name: "AUDIT_LOGS_REPORT_TENANTS",
    functions: &[Report],
    default: Nothing,
    meaning: "comma-separated Directory IDs this report function may read; unset: every tenant, and the all-tenants summary (`\"view\": \"tenants\"`)",
};

/// The log level.
pub const RUST_LOG: Var = Var {
    name: "RUST_LOG",
    functions: &[Subscription, Sync, Report],
    default: Value("info"),
    meaning: "log level; logs are JSON lines on stderr (unset: Lambda's `AWS_LAMBDA_LOG_LEVEL`, else `info`)",
};

/// Every variable, in the README's order.
pub static VARS: [Var; 30] = [
    TENANT_ID,
    CLIENT_ID,
    CLIENT_SECRET_ARN,
    CLIENT_CERTIFICATE_ARN,
    CLIENT_SECRET,
    CLOUD,
    AUDIENCE,
    AUTHORITY,
    TOKEN_VERSION,
    CONTENT_TYPES,
    PUBLISHER_ID,
    MAX_RETRIES,
    RETRY_BASE_MS,
    RETRY_MAX_SECONDS,
    TABLE,
    STATE_TABLE,
    OPERATIONS,
    CONCURRENCY,
    INITIAL_LOOKBACK_HOURS,
    OVERLAP_MINUTES,
    SWEEP_HOURS,
    EVENT_RETENTION_DAYS,
    MAX_RUN_SECONDS,
    DEADLINE_MARGIN_SECONDS,
    LOCK_LEASE_SECONDS,
    REPORT_BUCKET,
    REPORT_PREFIX,
    REPORT_URL_SECONDS,
    REPORT_TENANTS,
    RUST_LOG,
];

/// The variable of that name, if the product reads it.
pub fn find(name: &str) -> Option<&'static Var> {
    VARS.iter().find(|var| var.name == name)
}

/// The README's configuration table, rendered from [`VARS`].
pub fn markdown() -> String {
    let mut out = String::from("| Variable | Functions | Default | Meaning |\n|---|---|---|---|\n");
    for var in &VARS {
        let functions: Vec<&str> = var.functions.iter().map(|f| f.name()).collect();
        let _ = writeln!(
            out,
            "| `{}` | {} | {} | {} |",
            var.name,
            functions.join(", "),
            var.default.markdown(),
            var.meaning
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_and_prefixed() {
        for (i, var) in VARS.iter().enumerate() {
            assert!(
                var.name.starts_with("AUDIT_LOGS_") || var.name == "RUST_LOG",
                "{}",
                var.name
            );
            assert!(!var.functions.is_empty(), "{}", var.name);
            assert!(
                VARS[i + 1..].iter().all(|other| other.name != var.name),
                "{} is listed twice",
                var.name
            );
        }
    }
}
