//! The shared fixture of the sync and report tests: moto, an emulated tenant, tables created
//! from the template, and the function binaries run against them.
#![allow(dead_code)]

use std::collections::{BTreeMap, BTreeSet, HashMap};

use aws_sdk_dynamodb::types::AttributeValue;
use integration_tests::{
    FunctionRun, Moto, Tables, create_tables, invoke, scan_all, tenant_env, with_vars,
};
use o365_emulator::{ContentType, Emulator, EmulatorConfig, GeneratorConfig, TruthRecord};
use serde_json::{Value, json};

pub const FUNCTION: &str = "audit-sync";

pub type Item = HashMap<String, AttributeValue>;

pub struct Fixture {
    pub moto: Moto,
    pub tenant: Emulator,
    pub tables: Tables,
    pub env: Vec<(String, String)>,
}

pub fn small_tenant() -> EmulatorConfig {
    EmulatorConfig {
        subscriptions_enabled: vec![ContentType::General],
        page_size: 20,
        generator: GeneratorConfig {
            hours_before: 30,
            content_types: vec![ContentType::General, ContentType::SharePoint],
            blobs_per_hour: 3,
            records_per_blob_min: 20,
            records_per_blob_max: 40,
            ..GeneratorConfig::default()
        },
        ..EmulatorConfig::default()
    }
}

impl Fixture {
    pub async fn new(config: EmulatorConfig) -> Fixture {
        let moto = Moto::start().await;
        let tenant = Emulator::start(config).await.expect("the emulator starts");
        let tables = create_tables(&moto).await;
        let mut env = tenant_env(&tenant);
        env.extend(moto.env());
        env.extend(tables.env());
        let env = with_vars(
            env,
            &[
                // Take the whole generated history on the first run.
                ("AUDIT_LOGS_INITIAL_LOOKBACK_HOURS", "168"),
                ("AUDIT_LOGS_LOCK_LEASE_SECONDS", "3"),
                ("AUDIT_LOGS_CONCURRENCY", "4"),
            ],
        );
        Fixture {
            moto,
            tenant,
            tables,
            env,
        }
    }

    pub async fn sync(&self, event: Value) -> FunctionRun {
        invoke(FUNCTION, &self.env, &event).await
    }

    pub async fn sync_ok(&self) -> Value {
        self.sync(json!({})).await.ok().clone()
    }

    /// Stored events by record id.
    pub async fn stored(&self) -> BTreeMap<String, Item> {
        scan_all(&self.moto, &self.tables.events)
            .await
            .into_iter()
            .filter(|item| item["sk"].as_s().is_ok_and(|sk| sk.starts_with("EV#")))
            .map(|item| (item["id"].as_s().unwrap().clone(), item))
            .collect()
    }

    /// What must be stored: every Power Platform record of a listable blob.
    pub fn expected(&self) -> BTreeMap<String, TruthRecord> {
        self.tenant
            .truth(false)
            .records
            .into_iter()
            .filter(|r| matches!(r.record_type, Some(30 | 45 | 46 | 79 | 256)))
            .filter(|r| r.blobs.iter().any(|b| b.available && !b.expired))
            .map(|r| (r.id.clone(), r))
            .collect()
    }

    pub async fn assert_exactly_the_truth(&self) {
        let stored = self.stored().await;
        let expected = self.expected();
        assert!(!expected.is_empty());
        let stored_ids: BTreeSet<&String> = stored.keys().collect();
        let expected_ids: BTreeSet<&String> = expected.keys().collect();
        let missing: Vec<_> = expected_ids.difference(&stored_ids).take(5).collect();
        let extra: Vec<_> = stored_ids.difference(&expected_ids).take(5).collect();
        assert!(
            missing.is_empty() && extra.is_empty(),
            "missing {missing:?}, extra {extra:?}"
        );
        for (id, record) in &expected {
            let item = &stored[id];
            let launch_app = record.app_id.as_deref().or(record.flow_id.as_deref());
            assert_eq!(
                item.get("app_id")
                    .and_then(|v| v.as_s().ok())
                    .map(String::as_str),
                launch_app.map(str::to_lowercase).as_deref(),
                "{id}"
            );
            assert_eq!(
                item["operation"].as_s().unwrap(),
                record.operation.as_deref().unwrap()
            );
            assert_eq!(
                item["creation_time"].as_s().unwrap(),
                &format!("{}Z", &record.creation_time[..19]),
            );
            assert_eq!(
                item.get("user_lower").and_then(|v| v.as_s().ok()).cloned(),
                record.user_id_normalized()
            );
        }
    }
}

pub fn n(value: &Value, field: &str) -> u64 {
    value[field]
        .as_u64()
        .unwrap_or_else(|| panic!("{field} in {value}"))
}
