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

    /// Drops the tenant's `T`, so the next use reads its credential again: after Entra refused
    /// it, the secret or certificate may have been rotated since this process read it.
    pub async fn forget(&self, tenant_id: &str) {
        self.entries.lock().await.remove(tenant_id);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    fn config(client_id: &str) -> Config {
        Config::from_lookup(|name| match name {
            "AUDIT_LOGS_TENANT_ID" => Some("0b5d3e7a-2c4f-4a19-8e6d-9f1a2b3c4d5e".into()),
            "AUDIT_LOGS_CLIENT_ID" => Some(client_id.into()),
            "AUDIT_LOGS_CLIENT_SECRET" => Some("s".into()),
            _ => None,
        })
        .unwrap()
    }

    #[tokio::test]
    async fn built_once_again_after_a_change_or_a_forget() {
        let cache = TenantCache::<usize>::default();
        let builds = AtomicUsize::new(0);
        let get = |config: Config| {
            let cache = &cache;
            let builds = &builds;
            async move {
                cache
                    .get_or_try_init(&config, || async {
                        Ok::<_, ()>(builds.fetch_add(1, Ordering::SeqCst))
                    })
                    .await
                    .unwrap()
            }
        };
        assert_eq!(*get(config("a")).await, 0);
        assert_eq!(
            *get(config("a")).await,
            0,
            "kept while the configuration holds"
        );
        assert_eq!(
            *get(config("b")).await,
            1,
            "a replaced record is read again"
        );
        cache.forget("0b5d3e7a-2c4f-4a19-8e6d-9f1a2b3c4d5e").await;
        assert_eq!(
            *get(config("b")).await,
            2,
            "a forgotten tenant is read again"
        );
    }
}
