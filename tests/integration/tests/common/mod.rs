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

    /// What must be stored: every Power Platform record of a listable blob, Copilot Studio
    /// agents' turns and authoring included, Microsoft 365 Copilot's own turns not.
    pub fn expected(&self) -> BTreeMap<String, TruthRecord> {
        expected_of(&self.tenant)
    }

    pub async fn assert_exactly_the_truth(&self) {
        let stored = self.stored().await;
        assert_is_the_truth(&stored, &self.expected());
    }
}

/// What must be stored of one emulated tenant: every Power Platform record of a listable
/// blob, Copilot Studio agents' turns and authoring included, Microsoft 365 Copilot's own
/// turns not.
pub fn expected_of(tenant: &Emulator) -> BTreeMap<String, TruthRecord> {
    tenant
        .truth(false)
        .records
        .into_iter()
        .filter(|r| {
            matches!(r.record_type, Some(30 | 45 | 46 | 79 | 256))
                || is_agent_turn(r)
                || is_agent_authoring(r)
        })
        .filter(|r| r.blobs.iter().any(|b| b.available && !b.expired))
        .map(|r| (r.id.clone(), r))
        .collect()
}

/// The stored events (by record id) are exactly `expected`, field by field.
pub fn assert_is_the_truth(
    stored: &BTreeMap<String, Item>,
    expected: &BTreeMap<String, TruthRecord>,
) {
    assert!(!expected.is_empty());
    let stored_ids: BTreeSet<&String> = stored.keys().collect();
    let expected_ids: BTreeSet<&String> = expected.keys().collect();
    let missing: Vec<_> = expected_ids.difference(&stored_ids).take(5).collect();
    let extra: Vec<_> = stored_ids.difference(&expected_ids).take(5).collect();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "missing {missing:?}, extra {extra:?}"
    );
    for (id, record) in expected {
        let item = &stored[id];
        let subject = if is_agent_turn(record) {
            record.agent_id.clone()
        } else if is_agent_authoring(record) {
            record.bot_id.as_deref().map(str::to_lowercase)
        } else {
            let launch_app = record.app_id.as_deref().or(record.flow_id.as_deref());
            launch_app.map(str::to_lowercase)
        };
        assert_eq!(
            item.get("app_id")
                .and_then(|v| v.as_s().ok())
                .map(String::as_str),
            subject.as_deref(),
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

/// A turn with a Copilot Studio agent (not Microsoft 365 Copilot's own).
pub fn is_agent_turn(r: &TruthRecord) -> bool {
    r.operation.as_deref() == Some("CopilotInteraction")
        && (r.platform_agent_id.is_some()
            || r.agent_platform
                .as_deref()
                .is_some_and(|p| p.eq_ignore_ascii_case("CopilotStudio")))
}

/// Copilot Studio authoring: `BotCreate`, `BotDelete`, `BotUpdateOperation-…`.
pub fn is_agent_authoring(r: &TruthRecord) -> bool {
    r.operation.as_deref().is_some_and(|op| {
        op == "BotCreate"
            || op == "BotDelete"
            || op.starts_with("BotUpdateOperation-")
            || op.starts_with("BotComponent")
    })
}

pub fn n(value: &Value, field: &str) -> u64 {
    value[field]
        .as_u64()
        .unwrap_or_else(|| panic!("{field} in {value}"))
}

/// The first and last day of the expected events.
pub fn day_range(fx: &Fixture) -> (String, String) {
    let days: BTreeSet<String> = fx
        .expected()
        .values()
        .map(|r| r.creation_time[..10].to_string())
        .collect();
    (days.first().unwrap().clone(), days.last().unwrap().clone())
}

/// The report the truth implies, for days `[from, to]`.
pub fn expected_report(fx: &Fixture, from: &str, to: &str) -> Value {
    expected_report_of(&fx.tenant, from, to)
}

/// The report one emulated tenant's truth implies, for days `[from, to]`.
pub fn expected_report_of(tenant: &Emulator, from: &str, to: &str) -> Value {
    #[derive(Default)]
    struct App {
        launches: u64,
        users: BTreeSet<String>,
    }
    let launches: Vec<_> = expected_of(tenant)
        .into_values()
        .filter(|r| r.is_app_launch() && r.app_id.is_some())
        .collect();
    let mut apps: BTreeMap<String, App> = BTreeMap::new();
    let mut all_users = BTreeSet::new();
    let mut last: BTreeMap<String, String> = BTreeMap::new();
    let mut names: BTreeMap<String, (String, String)> = BTreeMap::new();
    for r in &launches {
        let app = r.app_id.clone().unwrap().to_lowercase();
        let time = format!("{}Z", &r.creation_time[..19]);
        let newest = last.entry(app.clone()).or_default();
        if *newest < time {
            *newest = time.clone();
        }
        if let Some(name) = &r.app_display_name {
            let entry = names.entry(app.clone()).or_default();
            if entry.0 < time {
                *entry = (time.clone(), name.clone());
            }
        }
        let day = &r.creation_time[..10];
        if day < from || day > to {
            continue;
        }
        let acc = apps.entry(app).or_default();
        acc.launches += 1;
        let user = r
            .user_id_normalized()
            .expect("generated launches name their user");
        acc.users.insert(user.clone());
        all_users.insert(user);
    }
    let mut rows: Vec<Value> = apps
        .iter()
        .map(|(id, acc)| {
            json!({"app_id": id, "app_name": names.get(id).map(|(_, n)| n.clone()), "launches": acc.launches,
                   "unique_users": acc.users.len(), "last_launched": last[id]})
        })
        .collect();
    rows.sort_by(|a, b| {
        b["launches"]
            .as_u64()
            .cmp(&a["launches"].as_u64())
            .then_with(|| a["app_id"].as_str().cmp(&b["app_id"].as_str()))
    });

    // Every day of the range, users distinct across apps.
    let mut days: BTreeMap<String, (u64, BTreeSet<String>)> = BTreeMap::new();
    let mut day = time::Date::parse(from, DAY).unwrap();
    while day.to_string().as_str() <= to {
        days.insert(day.to_string(), Default::default());
        day = day.next_day().unwrap();
    }
    for r in &launches {
        if let Some((launches, users)) = days.get_mut(&r.creation_time[..10]) {
            *launches += 1;
            users.insert(r.user_id_normalized().unwrap());
        }
    }
    let days: Vec<Value> = days
        .into_iter()
        .map(|(day, (launches, users))| json!({"day": day, "launches": launches, "unique_users": users.len()}))
        .collect();

    // A launch newer than the deletion makes the app live again.
    let deleted: BTreeMap<String, String> = deletions(tenant)
        .into_iter()
        .filter(|(app, at)| last.get(app).is_none_or(|launched| at >= launched))
        .collect();
    let mut inactive: Vec<(&String, &String)> = last
        .iter()
        .filter(|(app, at)| &at[..10] < from && !deleted.contains_key(*app))
        .collect();
    inactive.sort_by(|a, b| a.1.cmp(b.1).then_with(|| a.0.cmp(b.0)));
    let inactive: Vec<Value> = inactive
        .into_iter()
        .map(|(app, at)| json!({"app_id": app, "app_name": names.get(app).map(|(_, n)| n.clone()), "last_launched": at}))
        .collect();
    let mut gone: Vec<(&String, &String)> = deleted
        .iter()
        .filter(|(_, at)| from <= &at[..10] && &at[..10] <= to)
        .collect();
    gone.sort_by(|a, b| b.1.cmp(a.1).then_with(|| a.0.cmp(b.0)));
    let gone: Vec<Value> = gone
        .into_iter()
        .map(|(app, at)| {
            json!({"app_id": app, "app_name": names.get(app).map(|(_, n)| n.clone()),
                                "deleted_at": at, "last_launched": last.get(app)})
        })
        .collect();

    json!({"from": from, "to": to, "apps": rows,
           "totals": {"launches": apps.values().map(|a| a.launches).sum::<u64>(), "unique_users": all_users.len(), "apps": apps.len()},
           "days": days, "inactive_apps": inactive, "deleted_apps": gone})
}

const DAY: &[time::format_description::FormatItem<'static>] =
    time::macros::format_description!("[year]-[month]-[day]");

/// The newest `DeletePowerApp` of each app, as stored (`...Z`).
fn deletions(tenant: &Emulator) -> BTreeMap<String, String> {
    let mut deleted: BTreeMap<String, String> = BTreeMap::new();
    for r in expected_of(tenant).into_values() {
        if r.operation.as_deref() != Some("DeletePowerApp") {
            continue;
        }
        let Some(app) = r.app_id.as_deref() else {
            continue;
        };
        let time = format!("{}Z", &r.creation_time[..19]);
        let newest = deleted.entry(app.to_lowercase()).or_default();
        if *newest < time {
            *newest = time;
        }
    }
    deleted
}

/// The report without the fields [`expected_report`] leaves to other tests (deletions; the
/// environment and production bar, which `--test views` compares).
pub fn comparable(report: &Value) -> Value {
    let mut report = report.clone();
    // Which tenant a reply is about is `--test tenants`'s to check.
    report.as_object_mut().unwrap().remove("tenant");
    for app in report["apps"].as_array_mut().unwrap() {
        let app = app.as_object_mut().unwrap();
        for field in [
            "deleted",
            "deleted_at",
            "environment_id",
            "environment_name",
            "production",
        ] {
            app.remove(field);
        }
    }
    report
}
