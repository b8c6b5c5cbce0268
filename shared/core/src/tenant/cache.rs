//! What a warm function keeps per tenant (its API session, its syncer), so a tenant's secret
//! or certificate is read once per cold start, and again only when its record changes.

use std::collections::HashMap;
use std::future::Future;
use std::sync::Arc;

use tokio::sync::Mutex;

use crate::config::Config;

/// One `T` per tenant, rebuilt when the tenant's configuration changes.
pub struct TenantCache<T> {
    entries: Mutex<HashMap<String, (Config, Arc<T>)>>,
}

impl<T> Default for TenantCache<T> {
    fn default() -> Self {
        TenantCache {
            entries: Mutex::new(HashMap::new()),
        }
    }
}

impl<T> TenantCache<T> {
    /// The tenant's `T`, built by `build` on first use or after its record changed. A failed
    /// build is not kept: the next invocation tries again.
    pub async fn get_or_try_init<E, F, Fut>(&self, config: &Config, build: F) -> Result<Arc<T>, E>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<T, E>>,
    {
        let mut entries = self.entries.lock().await;
        if let Some((kept, value)) = entries.get(&config.tenant_id)
            && kept == config
        {
            return Ok(value.clone());
        }
        let value = Arc::new(build().await?);
        entries.insert(config.tenant_id.clone(), (config.clone(), value.clone()));
        Ok(value)
    }
}
