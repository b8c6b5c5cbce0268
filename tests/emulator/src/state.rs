//! Everything the server shares between requests.

use std::collections::{BTreeMap, HashMap};
use std::net::SocketAddr;
use std::sync::{Mutex, MutexGuard, RwLock, RwLockReadGuard, RwLockWriteGuard};

use serde::{Deserialize, Serialize};
use serde_json::Value;
use time::{Duration, OffsetDateTime};

use crate::certificate::RegisteredCertificate;
use crate::clock::Clock;
use crate::config::EmulatorConfig;
use crate::content_type::ContentType;
use crate::faults::FaultEngine;
use crate::stats::StatsCollector;
use crate::store::ContentStore;

#[derive(Debug, Clone)]
pub(crate) struct TokenInfo {
    pub tenant_id: String,
    pub expires_at: OffsetDateTime,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SubscriptionStatus {
    Enabled,
    /// Disabled by an admin (control API): listing answers AF20023.
    DisabledByAdmin,
    /// Stopped through `/subscriptions/stop`: listing answers AF20022.
    Stopped,
}

#[derive(Debug, Clone)]
pub(crate) struct Subscription {
    pub status: SubscriptionStatus,
    pub webhook: Option<Value>,
}

/// The mutable side of the tenant.
pub(crate) struct Tenant {
    pub tokens: HashMap<String, TokenInfo>,
    /// Only content types that were ever started (or pre-enabled) appear.
    pub subscriptions: BTreeMap<ContentType, Subscription>,
    pub audit_log_enabled: bool,
    pub has_permission: bool,
}

impl Tenant {
    pub fn enable(&mut self, content_type: ContentType, webhook: Option<Value>) {
        self.subscriptions.insert(
            content_type,
            Subscription {
                status: SubscriptionStatus::Enabled,
                webhook,
            },
        );
    }

    pub fn set_status(&mut self, content_type: ContentType, status: SubscriptionStatus) {
        self.subscriptions
            .entry(content_type)
            .or_insert(Subscription {
                status,
                webhook: None,
            })
            .status = status;
    }
}

pub(crate) struct State {
    pub config: EmulatorConfig,
    pub local_addr: SocketAddr,
    pub clock: Clock,
    store: RwLock<ContentStore>,
    tenant: Mutex<Tenant>,
    faults: Mutex<FaultEngine>,
    stats: Mutex<StatsCollector>,
    certificates: RwLock<Vec<RegisteredCertificate>>,
    /// `jti` of each accepted client assertion, until it can no longer be valid.
    spent_assertions: Mutex<HashMap<String, OffsetDateTime>>,
}

// A panic in one handler must not wedge every later request, so poisoned
// locks are simply taken over: the data they guard stays consistent because
// no critical section here can panic half-way through an update.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl State {
    pub fn new(
        config: EmulatorConfig,
        local_addr: SocketAddr,
        store: ContentStore,
        certificates: Vec<RegisteredCertificate>,
    ) -> Self {
        let mut tenant = Tenant {
            tokens: HashMap::new(),
            subscriptions: BTreeMap::new(),
            audit_log_enabled: config.audit_log_enabled,
            has_permission: config.has_permission,
        };
        for &content_type in &config.subscriptions_enabled {
            tenant.enable(content_type, None);
        }
        State {
            stats: Mutex::new(StatsCollector::new(config.request_log_capacity)),
            config,
            local_addr,
            clock: Clock::default(),
            store: RwLock::new(store),
            tenant: Mutex::new(tenant),
            faults: Mutex::new(FaultEngine::default()),
            certificates: RwLock::new(certificates),
            spent_assertions: Mutex::new(HashMap::new()),
        }
    }

    pub fn now(&self) -> OffsetDateTime {
        self.clock.now()
    }

    pub fn base_url(&self) -> String {
        format!("http://{}", self.local_addr)
    }

    pub fn store(&self) -> RwLockReadGuard<'_, ContentStore> {
        self.store.read().unwrap_or_else(|p| p.into_inner())
    }

    pub fn store_mut(&self) -> RwLockWriteGuard<'_, ContentStore> {
        self.store.write().unwrap_or_else(|p| p.into_inner())
    }

    pub fn tenant(&self) -> MutexGuard<'_, Tenant> {
        lock(&self.tenant)
    }

    pub fn faults(&self) -> MutexGuard<'_, FaultEngine> {
        lock(&self.faults)
    }

    pub fn stats(&self) -> MutexGuard<'_, StatsCollector> {
        lock(&self.stats)
    }

    pub fn issue_token(&self, token: String) -> OffsetDateTime {
        let expires_at = self.now() + Duration::seconds(self.config.token_lifetime_secs as i64);
        self.tenant().tokens.insert(
            token,
            TokenInfo {
                tenant_id: self.config.tenant_id.clone(),
                expires_at,
            },
        );
        self.stats().token_issued();
        expires_at
    }

    /// The `expire_tokens` fault: every token issued so far is now stale.
    pub fn expire_all_tokens(&self) {
        let expired = self.now() - Duration::seconds(1);
        for token in self.tenant().tokens.values_mut() {
            token.expires_at = token.expires_at.min(expired);
        }
    }

    /// The token's tenant if it is known and still valid.
    pub fn token_tenant(&self, token: &str) -> Option<String> {
        let now = self.now();
        self.tenant()
            .tokens
            .get(token)
            .filter(|info| info.expires_at > now)
            .map(|info| info.tenant_id.clone())
    }
}

/// The app's certificates and the client assertions already used.
impl State {
    pub fn certificates(&self) -> RwLockReadGuard<'_, Vec<RegisteredCertificate>> {
        self.certificates.read().unwrap_or_else(|p| p.into_inner())
    }

    pub fn certificate_thumbprints(&self) -> Vec<String> {
        self.certificates()
            .iter()
            .map(RegisteredCertificate::thumbprint)
            .collect()
    }

    pub fn set_certificates(&self, certificates: Vec<RegisteredCertificate>) {
        *self.certificates.write().unwrap_or_else(|p| p.into_inner()) = certificates;
    }

    /// Records `jti` as used until `valid_until`; `false` if it already was
    /// and can still be valid. Entries past their time are dropped on the way.
    pub fn spend_assertion(&self, jti: &str, valid_until: OffsetDateTime) -> bool {
        let now = self.now();
        let mut spent = lock(&self.spent_assertions);
        spent.retain(|_, until| *until >= now);
        if spent.contains_key(jti) {
            return false;
        }
        spent.insert(jti.to_string(), valid_until);
        true
    }
}

/// Operations shared by the library handle and the control routes.
impl State {
    pub fn truth(&self, available_only: bool) -> crate::truth::Truth {
        crate::truth::compute(&self.store(), self.now(), available_only)
    }

    pub fn truth_summary(&self, available_only: bool) -> crate::truth::TruthSummary {
        crate::truth::summarize(&self.store(), self.now(), available_only)
    }

    pub fn add_blob(
        &self,
        content_type: ContentType,
        created: OffsetDateTime,
        available_at: Option<OffsetDateTime>,
        records: Vec<Value>,
    ) -> String {
        self.store_mut()
            .add_custom(content_type, created, available_at, records)
    }

    pub fn add_raw_blob(
        &self,
        content_type: ContentType,
        created: OffsetDateTime,
        available_at: Option<OffsetDateTime>,
        body: Vec<u8>,
    ) -> String {
        self.store_mut()
            .add_raw(content_type, created, available_at, body)
    }

    /// Every access token issued so far, for tests that look for leaks.
    pub fn issued_tokens(&self) -> Vec<String> {
        self.tenant().tokens.keys().cloned().collect()
    }

    pub fn content_uri(&self, content_id: &str) -> String {
        format!(
            "{}/api/v1.0/{}/activity/feed/audit/{content_id}",
            self.base_url(),
            self.config.tenant_id
        )
    }

    /// As a tenant admin would: listing then answers AF20023 until `start`.
    pub fn disable_subscription(&self, content_type: ContentType) {
        self.tenant()
            .set_status(content_type, SubscriptionStatus::DisabledByAdmin);
    }

    pub fn enable_subscription(&self, content_type: ContentType) {
        self.tenant().enable(content_type, None);
    }

    pub fn set_audit_log_enabled(&self, enabled: bool) {
        self.tenant().audit_log_enabled = enabled;
    }

    pub fn set_permission(&self, granted: bool) {
        self.tenant().has_permission = granted;
    }
}
