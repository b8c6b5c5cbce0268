//! Configuration of the emulator and of its tenant generator.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::content_type::ContentType;

/// The tenant the emulator serves. It matches `OrganizationId` in
/// `shared/records/tests/fixtures/sample-records.json`.
pub const DEFAULT_TENANT_ID: &str = "7d2b9f3e-1c4a-4f6b-9e2d-3a5c8b1f0e47";
pub const DEFAULT_TENANT_DOMAIN: &str = "contoso.onmicrosoft.com";
pub const DEFAULT_CLIENT_ID: &str = "5f0c8a2e-9b1d-4e3f-a6c7-2d8e4b1f9a30";
/// Shaped like an Entra secret value (`xxx8Q~...`), so that a client which
/// confuses the secret's value with its id is caught by the length/shape too.
pub const DEFAULT_CLIENT_SECRET: &str = "Emu8Q~k3P.vT9xWq_R2sL-4mNbY7cJd0hFgZaUe1";
/// A tenant that exists but that the configured app has no token for: a URL
/// naming it answers AF20010, a token request for it AADSTS700016.
pub const DEFAULT_FOREIGN_TENANT_ID: &str = "0b5d3e7a-2c4f-4a19-8e6d-9f1a2b3c4d5e";
pub const DEFAULT_FOREIGN_HOST: &str = "evil.example.com";

/// Which response header carries the next-page URL. The reference documents
/// `NextPageUri`; one page of the docs says `NextPageUrl`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum NextPageHeader {
    #[default]
    NextPageUri,
    NextPageUrl,
}

impl NextPageHeader {
    pub fn as_str(self) -> &'static str {
        match self {
            NextPageHeader::NextPageUri => "NextPageUri",
            NextPageHeader::NextPageUrl => "NextPageUrl",
        }
    }
}

#[derive(Debug, Clone)]
pub struct EmulatorConfig {
    pub tenant_id: String,
    /// Also accepted in place of the tenant id on the token endpoint, and the
    /// domain of generated users.
    pub tenant_domain: String,
    pub client_id: String,
    pub client_secret: String,
    /// PEM X.509 certificates registered on the app, whose keys may sign
    /// client assertions: more than one during a rotation. Each text may hold
    /// several `CERTIFICATE` blocks (and other blocks, which are skipped).
    /// [`crate::Emulator::set_client_certificates`] replaces them at run time.
    pub client_certificates: Vec<String>,
    /// Refuse a client assertion whose `jti` was already used while it can
    /// still be valid. Stricter than Entra, which documents no such check
    /// (and whose own libraries reuse an assertion for minutes): a client
    /// that signs one assertion per request passes either way.
    pub reject_assertion_replay: bool,
    pub foreign_tenant_id: String,
    /// 0 binds an ephemeral port.
    pub port: u16,
    /// Seed of the generated tenant content.
    pub seed: u64,
    pub generator: GeneratorConfig,
    /// Items per `/subscriptions/content` page; 0 means unlimited.
    pub page_size: usize,
    pub next_page_header: NextPageHeader,
    /// Shuffle the items of each listing page, since the real service does not
    /// promise any order.
    pub shuffle_listing: bool,
    pub token_lifetime_secs: u64,
    /// Host named by the `foreign_next_page` / `foreign_content_uri` faults.
    pub foreign_host: String,
    /// Extra strings accepted as v1 `resource` / v2 scope prefix, besides the
    /// emulator's own base URL (as seen in the request's Host header).
    pub extra_audiences: Vec<String>,
    /// Content types whose subscription is already enabled at start.
    pub subscriptions_enabled: Vec<ContentType>,
    pub audit_log_enabled: bool,
    pub has_permission: bool,
    /// How many recent requests `requests()` keeps.
    pub request_log_capacity: usize,
}

impl Default for EmulatorConfig {
    fn default() -> Self {
        Self {
            tenant_id: DEFAULT_TENANT_ID.to_string(),
            tenant_domain: DEFAULT_TENANT_DOMAIN.to_string(),
            client_id: DEFAULT_CLIENT_ID.to_string(),
            client_secret: DEFAULT_CLIENT_SECRET.to_string(),
            client_certificates: Vec::new(),
            reject_assertion_replay: true,
            foreign_tenant_id: DEFAULT_FOREIGN_TENANT_ID.to_string(),
            port: 0,
            seed: 42,
            generator: GeneratorConfig::default(),
            page_size: 100,
            next_page_header: NextPageHeader::NextPageUri,
            shuffle_listing: false,
            token_lifetime_secs: 3599,
            foreign_host: DEFAULT_FOREIGN_HOST.to_string(),
            extra_audiences: vec!["https://manage.office.com".to_string()],
            subscriptions_enabled: Vec::new(),
            audit_log_enabled: true,
            has_permission: true,
            request_log_capacity: 10_000,
        }
    }
}

/// Shape of the generated tenant. All rates are probabilities in `[0, 1]`.
#[derive(Debug, Clone, PartialEq)]
pub struct GeneratorConfig {
    /// The reference point of the history; `None` means "now, truncated to
    /// the hour" at start. Fix it for byte-identical content across runs.
    pub anchor: Option<OffsetDateTime>,
    /// Hours of content before the anchor. More than 168 yields expired blobs.
    pub hours_before: u32,
    /// Hours of content after the anchor, which becomes available as the
    /// emulator clock moves forward.
    pub hours_after: u32,
    pub content_types: Vec<ContentType>,
    pub apps: usize,
    pub users: usize,
    /// The first is the default one, `Default-{tenant id}`.
    pub environments: usize,
    pub flows: usize,
    /// Copilot Studio agents (at least one); the last is the one agent ever deleted.
    pub agents: usize,
    /// Blobs per hour, for each content type.
    pub blobs_per_hour: u32,
    pub records_per_blob_min: u32,
    pub records_per_blob_max: u32,
    /// Of each hour's `blobs_per_hour` blobs (per content type), this many, spread evenly
    /// over the hour, hold `large_blob_records` records instead: the occasional blob of
    /// tens of MB that large tenants see. 0 (the default) leaves every blob as drawn.
    pub large_blobs_per_hour: u32,
    pub large_blob_records: u32,
    /// Share of `Audit.General` records that are Power Platform events (Copilot
    /// interactions included).
    pub power_platform_fraction: f64,
    /// Share of app launches in the older RecordType 45 shape.
    pub legacy_launch_fraction: f64,
    /// Share of records that re-deliver a record of an earlier blob.
    pub duplicate_rate: f64,
    /// Share of blobs that become available hours after their `contentCreated`.
    pub late_rate: f64,
    pub max_late_secs: u64,
    /// A record's `CreationTime` lies up to this long before its blob's
    /// `contentCreated`.
    pub max_event_lag_secs: u64,
    /// Share of records whose `UserId` uses different letter case.
    pub user_case_variation_rate: f64,
    /// Share of items that are not valid records (not an object, no `Id`, or
    /// an unparsable `CreationTime`).
    pub malformed_rate: f64,
    /// Produce blob bodies on demand instead of storing them: for huge
    /// benchmarks. The bytes are identical either way.
    pub lazy: bool,
    /// One app's busy day, on top of everything else: `None` (the default) adds nothing.
    pub hot_app: Option<HotAppDay>,
}

/// A hot app-day: many launches of one app (the directory's first) on one UTC day, by many
/// distinct users, in `Audit.General` blobs of their own spread over the hour before the
/// anchor. Each launch's `CreationTime` lies in that hour's UTC day, and the users are
/// `hot000001@{domain}`... of their own, so neither the day nor the user count depends on the
/// rest of the tenant. With no duplicates or malformed items the day holds exactly `launches`
/// launches by exactly `min(users, launches)` users; duplicates and malformed items hit these
/// blobs as any other.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HotAppDay {
    pub launches: u32,
    pub users: u32,
    pub launches_per_blob: u32,
}

impl Default for GeneratorConfig {
    fn default() -> Self {
        Self {
            anchor: None,
            hours_before: 48,
            hours_after: 0,
            content_types: ContentType::ALL.to_vec(),
            apps: 20,
            users: 30,
            environments: 3,
            flows: 10,
            agents: 4,
            blobs_per_hour: 6,
            records_per_blob_min: 50,
            records_per_blob_max: 50,
            large_blobs_per_hour: 0,
            large_blob_records: 0,
            power_platform_fraction: 0.3,
            legacy_launch_fraction: 0.25,
            duplicate_rate: 0.05,
            late_rate: 0.1,
            max_late_secs: 6 * 3600,
            max_event_lag_secs: 2 * 3600,
            user_case_variation_rate: 0.1,
            malformed_rate: 0.0,
            lazy: false,
            hot_app: None,
        }
    }
}
