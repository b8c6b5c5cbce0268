//! An emulator of Microsoft's side of the Office 365 Management Activity API
//! (and the Entra token endpoint in front of it), for tests.
//!
//! One axum server on 127.0.0.1 serves:
//! - the token endpoint: `POST /{tenant}/oauth2/token` (v1) and
//!   `POST /{tenant}/oauth2/v2.0/token` (v2), client credentials;
//! - the API under `/api/v1.0/{tenant}/activity/feed` (and `/api/v1/...`);
//! - a control API under `/_emulator/` (see `control.rs`).
//!
//! The tenant's content is generated deterministically from a seed (see
//! `generate.rs`); [`Emulator::truth`] says exactly what it holds. Faults can
//! be scripted or drawn at random (see `faults.rs`), and the emulator has its
//! own clock that tests can move forward.
//!
//! ```no_run
//! # async fn demo() -> std::io::Result<()> {
//! use o365_emulator::{Emulator, EmulatorConfig, FaultKind, FaultRule};
//! let emulator = Emulator::start(EmulatorConfig::default()).await?;
//! emulator.inject(FaultRule::new("/audit/", FaultKind::Throttle429).times(2));
//! let truth = emulator.truth(true);
//! # drop(truth); emulator.shutdown().await; Ok(()) }
//! ```

mod api;
pub mod certificate;
mod clock;
mod config;
mod content_type;
mod control;
mod faults;
mod generate;
mod records;
mod rng;
mod server;
mod state;
mod stats;
mod store;
mod timefmt;
mod token;
mod truth;

use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;

use serde_json::Value;
use time::OffsetDateTime;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

pub use certificate::{CertificateError, TestCertificate};
pub use config::{
    DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, DEFAULT_FOREIGN_HOST, DEFAULT_FOREIGN_TENANT_ID,
    DEFAULT_TENANT_DOMAIN, DEFAULT_TENANT_ID, EmulatorConfig, GeneratorConfig, HotAppDay,
    NextPageHeader,
};
pub use content_type::{ContentType, UnknownContentType};
pub use faults::{FaultKind, FaultRule, FaultsView, RandomFault, RandomFaults};
pub use records::MalformedReason;
pub use state::SubscriptionStatus;
pub use stats::{PresenceCount, RequestRecord, Stats};
pub use truth::{Truth, TruthBlob, TruthBlobRef, TruthMalformed, TruthRecord, TruthSummary};

use state::State;

/// A running emulator. Dropping it stops the server too; [`Emulator::shutdown`]
/// also waits for it.
pub struct Emulator {
    state: Arc<State>,
    shutdown: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<()>>,
}

impl Emulator {
    /// Generates the tenant, binds `127.0.0.1:{config.port}` and serves on
    /// the current tokio runtime. A client certificate that does not parse
    /// is an `InvalidInput` error.
    pub async fn start(mut config: EmulatorConfig) -> std::io::Result<Emulator> {
        let certificates = certificate::parse_all(&config.client_certificates)
            .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidInput, e))?;
        let listener =
            tokio::net::TcpListener::bind(SocketAddr::from((Ipv4Addr::LOCALHOST, config.port)))
                .await?;
        let local_addr = listener.local_addr()?;
        config.port = local_addr.port();

        let anchor = config
            .generator
            .anchor
            .map(|a| a.to_offset(time::UtcOffset::UTC))
            .unwrap_or_else(|| timefmt::truncate_to_hour(OffsetDateTime::now_utc()));
        let build_config = config.clone();
        let store = tokio::task::spawn_blocking(move || {
            let c = build_config;
            let generator = generate::Generator::new(
                c.seed,
                &c.tenant_id,
                &c.tenant_domain,
                c.generator.clone(),
                anchor,
            );
            store::ContentStore::new(generator, c.generator.lazy, c.seed, &c.tenant_id)
        })
        .await
        .map_err(std::io::Error::other)?;

        let state = Arc::new(State::new(config, local_addr, store, certificates));
        let app = server::router(state.clone());
        let (shutdown, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            let served = axum::serve(listener, app)
                .with_graceful_shutdown(async {
                    let _ = stopped.await;
                })
                .await;
            if let Err(e) = served {
                tracing::error!("emulator server failed: {e}");
            }
        });
        tracing::info!(base_url = %state.base_url(), anchor = %timefmt::rfc3339(anchor), "emulator listening");
        Ok(Emulator {
            state,
            shutdown: Some(shutdown),
            task: Some(task),
        })
    }

    /// `http://127.0.0.1:PORT`: both the token authority and the API audience.
    pub fn base_url(&self) -> String {
        self.state.base_url()
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.state.local_addr
    }

    pub fn config(&self) -> &EmulatorConfig {
        &self.state.config
    }

    pub fn tenant_id(&self) -> &str {
        &self.state.config.tenant_id
    }

    pub fn client_id(&self) -> &str {
        &self.state.config.client_id
    }

    pub fn client_secret(&self) -> &str {
        &self.state.config.client_secret
    }

    /// Replaces the certificates registered on the app (as an admin would
    /// in a rotation): assertions signed with any of them pass from now on,
    /// those signed with a certificate no longer listed fail. Nothing is
    /// changed when one does not parse. [`Emulator::config`] still shows the
    /// certificates it started with.
    pub fn set_client_certificates(&self, pems: Vec<String>) -> Result<(), CertificateError> {
        let certificates = certificate::parse_all(&pems)?;
        self.state.set_certificates(certificates);
        Ok(())
    }

    /// The `x5t#S256` thumbprints of the certificates registered now.
    pub fn client_certificate_thumbprints(&self) -> Vec<String> {
        self.state.certificate_thumbprints()
    }

    /// `{base_url}/{tenant}/oauth2/token`.
    pub fn token_url_v1(&self) -> String {
        format!("{}/{}/oauth2/token", self.base_url(), self.tenant_id())
    }

    /// `{base_url}/{tenant}/oauth2/v2.0/token`.
    pub fn token_url_v2(&self) -> String {
        format!("{}/{}/oauth2/v2.0/token", self.base_url(), self.tenant_id())
    }

    /// `{base_url}/api/v1.0/{tenant}/activity/feed`.
    pub fn feed_root(&self) -> String {
        format!(
            "{}/api/v1.0/{}/activity/feed",
            self.base_url(),
            self.tenant_id()
        )
    }

    /// Every distinct record in every blob; with `available_only`, only
    /// what `/subscriptions/content` can list right now.
    pub fn truth(&self, available_only: bool) -> Truth {
        self.state.truth(available_only)
    }

    /// Counts of [`Emulator::truth`], for tenants too big to compare record by record:
    /// computed in one pass without building the truth.
    pub fn truth_summary(&self, available_only: bool) -> TruthSummary {
        self.state.truth_summary(available_only)
    }

    pub fn stats(&self) -> Stats {
        self.state.stats().snapshot()
    }

    /// The most recent requests (up to `request_log_capacity`), oldest first.
    pub fn requests(&self) -> Vec<RequestRecord> {
        self.state.stats().requests()
    }

    pub fn reset_stats(&self) {
        self.state.stats().reset();
    }

    /// Appends a scripted rule; rules are checked in the order added.
    pub fn inject(&self, rule: FaultRule) {
        self.state.faults().add_rule(rule);
    }

    /// Replaces the random fault setup.
    pub fn set_random_faults(&self, random: RandomFaults) {
        self.state.faults().set_random(Some(random));
    }

    /// Drops pending rules and the random setup.
    pub fn clear_faults(&self) {
        self.state.faults().clear();
    }

    pub fn faults(&self) -> FaultsView {
        self.state.faults().view()
    }

    /// Moves the emulator clock (negative durations move it back).
    pub fn advance_clock(&self, by: time::Duration) {
        self.state.clock.advance(by);
    }

    pub fn set_clock(&self, to: OffsetDateTime) {
        self.state.clock.set(to);
    }

    /// Emulator time: real UTC now plus the offset.
    pub fn now(&self) -> OffsetDateTime {
        self.state.now()
    }

    /// Adds a blob holding `records` (any JSON values, malformed ones
    /// included); it is listed from `available_at` (default: `created`).
    /// Returns the content id.
    pub fn add_blob(
        &self,
        content_type: ContentType,
        created: OffsetDateTime,
        available_at: Option<OffsetDateTime>,
        records: Vec<Value>,
    ) -> String {
        self.state
            .add_blob(content_type, created, available_at, records)
    }

    /// Adds a blob whose body is exactly `body`, valid JSON or not (hostile-input tests).
    pub fn add_raw_blob(
        &self,
        content_type: ContentType,
        created: OffsetDateTime,
        available_at: Option<OffsetDateTime>,
        body: Vec<u8>,
    ) -> String {
        self.state
            .add_raw_blob(content_type, created, available_at, body)
    }

    /// Every access token issued so far, so tests can check none of them leaked.
    pub fn issued_tokens(&self) -> Vec<String> {
        self.state.issued_tokens()
    }

    /// The `contentUri` the listing gives for `content_id`.
    pub fn content_uri(&self, content_id: &str) -> String {
        self.state.content_uri(content_id)
    }

    /// As a tenant admin would: listing answers AF20023 until the next start.
    pub fn disable_subscription(&self, content_type: ContentType) {
        self.state.disable_subscription(content_type);
    }

    /// As if `/subscriptions/start` had been called.
    pub fn enable_subscription(&self, content_type: ContentType) {
        self.state.enable_subscription(content_type);
    }

    pub fn subscription_status(&self, content_type: ContentType) -> Option<SubscriptionStatus> {
        self.state
            .tenant()
            .subscriptions
            .get(&content_type)
            .map(|s| s.status)
    }

    /// `false`: every API call answers AF20012.
    pub fn set_audit_log_enabled(&self, enabled: bool) {
        self.state.set_audit_log_enabled(enabled);
    }

    /// `false`: every API call answers AF10001.
    pub fn set_permission(&self, granted: bool) {
        self.state.set_permission(granted);
    }

    /// Stops accepting connections and waits (at most a few seconds) for
    /// requests in flight.
    pub async fn shutdown(mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
        if let Some(mut task) = self.task.take() {
            let grace = std::time::Duration::from_secs(3);
            if tokio::time::timeout(grace, &mut task).await.is_err() {
                // Keep-alive or streaming connections would hold it open.
                task.abort();
            }
        }
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
        if let Some(task) = self.task.take() {
            task.abort();
        }
    }
}
