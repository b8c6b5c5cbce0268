//! The usage summaries kept incrementally, end to end: a group's journal applied twice counts
//! once (the counter's `seq`, with the conditional updates moto must answer as DynamoDB
//! does), two blobs racing
//! for one record give it one owner, and a hot app-day with thousands of users, records
//! re-delivered across blobs in flight together and runs killed midway ends with exactly the
//! truth in the table and in the report.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use audit_core::store::{
    Journal, JournalCount, JournalUser, KeyLocks, Kind, LedgerEntry, LedgerStatus, Store,
    event_items,
};
use audit_records::{AuditEvent, OperationFilter, classify};
use common::{FUNCTION, Fixture, comparable, expected_report, small_tenant};
use integration_tests::{invoke, kill_after, scan_all, with_vars};
use o365_emulator::{ContentType, EmulatorConfig, GeneratorConfig};
use rand::{RngExt, SeedableRng};
use serde_json::{Value, json};

const HOT_APP: &str = "b0b0b0b0-0000-4000-8000-000000000001";
const COLD_APP: &str = "b0b0b0b0-0000-4000-8000-000000000002";

async fn store(fx: &Fixture) -> Store {
    Store::new(
        &fx.moto.sdk_config().await,
        &fx.tables.events,
        &fx.tables.state,
    )
}

fn quiet_tenant() -> EmulatorConfig {
    EmulatorConfig {
        generator: GeneratorConfig {
            hours_before: 2,
            ..small_tenant().generator
        },
        ..small_tenant()
    }
}

/// A launch of the hot app, through the same parser the sync uses.
fn launch_event(id: &str) -> AuditEvent {
    let record = json!({"Id": id, "RecordType": 45, "CreationTime": "2026-11-24T10:00:00",
        "Operation": "LaunchPowerApp", "Workload": "PowerApps", "UserId": "ana@contoso.com",
        "AppName": HOT_APP})
    .to_string();
    let raw = serde_json::value::RawValue::from_string(record).unwrap();
    classify(&raw, &OperationFilter::default())
        .unwrap()
        .expect("a launch is kept")
}

#[tokio::test]
async fn a_group_journal_applied_twice_counts_once() {
    let fx = Fixture::new(quiet_tenant()).await;
    let store = store(&fx).await;
    let count = |app: &str, launches: u64, last: &str| JournalCount {
        kind: Kind::App,
        app_id: app.into(),
        day: "2026-11-24".into(),
        launches,
        last_launch: Some(format!("2026-11-24T{last}:00Z")),
        users: vec![JournalUser(
            "ana@contoso.com".into(),
            launches,
            Some(format!("2026-11-24T{last}:00Z")),
        )],
    };
    let journal = |id: &str, counts: Vec<JournalCount>| Journal {
        id: id.into(),
        counts,
        ledger: Vec::new(),
    };
    let first = journal("g1", vec![count(HOT_APP, 3, "10:00")]);
    store.write_journal(&first).await.unwrap();
    let applied = store.apply_counts(&first).await.unwrap();
    assert_eq!((applied.counted, applied.already_counted), (1, 0));

    // The same group replayed after a crash, the second app-day not done the first time: the
    // counted app-day is passed over on its `seq`, the other is counted.
    let replay = journal(
        "g1",
        vec![count(HOT_APP, 3, "10:00"), count(COLD_APP, 1, "10:00")],
    );
    let applied = store.apply_counts(&replay).await.unwrap();
    assert_eq!(
        (applied.counted, applied.already_counted),
        (1, 1),
        "{applied:?}"
    );
    assert_eq!(
        store.unfinished_journals().await.unwrap(),
        [(first.clone(), 1)]
    );
    store.delete_journal("g1", 1).await.unwrap();
    assert!(store.unfinished_journals().await.unwrap().is_empty());

    // Later groups: a newer last launch rides with its count, an older one leaves it alone.
    for (id, last) in [("g2", "11:00"), ("g3", "09:00")] {
        let applied = store
            .apply_counts(&journal(id, vec![count(HOT_APP, 1, last)]))
            .await
            .unwrap();
        assert_eq!((applied.counted, applied.already_counted), (1, 0), "{id}");
    }

    let hot = store
        .subject_day_summary(Kind::App, "2026-11-24", HOT_APP)
        .await
        .unwrap();
    assert_eq!(hot.len(), 1);
    assert_eq!(hot[0].count, 5);
    assert_eq!(hot[0].last.as_deref(), Some("2026-11-24T11:00:00Z"));
    // The user item counts the same way, once per group.
    let ana = &hot[0].users["ana@contoso.com"];
    assert_eq!(
        (ana.count, ana.last.as_deref()),
        (5, Some("2026-11-24T11:00:00Z"))
    );
    let all = store.day_summaries(Kind::App, "2026-11-24").await.unwrap();
    let launches: Vec<u64> = all.iter().map(|s| s.count).collect();
    assert_eq!(launches, [5, 1]);
}

/// A group too large for one journal item is written in parts, read back whole, and deleted
/// part by part; a journal whose writing was cut off (a part missing) is dropped, not applied.
#[tokio::test]
async fn a_large_journal_goes_in_parts_and_a_cut_off_one_is_dropped() {
    let fx = Fixture::new(quiet_tenant()).await;
    let store = store(&fx).await;
    // Users with random-looking names compress badly: a few MB of them take several parts.
    let users: Vec<JournalUser> = (0..40_000u64)
        .map(|i| {
            let noise = (i.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 7) % 1_000_000_007;
            JournalUser(format!("u{i}-{noise:x}@contoso.com"), 1, None)
        })
        .collect();
    let journal = Journal {
        id: "big".into(),
        counts: vec![JournalCount {
            kind: Kind::Agent,
            app_id: "agent-1".into(),
            day: "2026-11-24".into(),
            launches: users.len() as u64,
            last_launch: None,
            users,
        }],
        ledger: Vec::new(),
    };
    let parts = store.write_journal(&journal).await.unwrap();
    assert!(parts > 1, "{parts} part(s)");
    assert_eq!(
        store.unfinished_journals().await.unwrap(),
        [(journal.clone(), parts)]
    );
    store.delete_journal("big", parts).await.unwrap();
    assert!(store.unfinished_journals().await.unwrap().is_empty());

    // Cut off: all parts but the last written.
    store.write_journal(&journal).await.unwrap();
    let client = aws_sdk_dynamodb::Client::new(&fx.moto.sdk_config().await);
    client
        .delete_item()
        .table_name(&fx.tables.state)
        .key(
            "pk",
            aws_sdk_dynamodb::types::AttributeValue::S("JOURNAL".into()),
        )
        .key(
            "sk",
            aws_sdk_dynamodb::types::AttributeValue::S(format!("big#part{:04}", parts - 1)),
        )
        .send()
        .await
        .unwrap();
    assert!(
        store.unfinished_journals().await.unwrap().is_empty(),
        "dropped, not applied"
    );
    assert!(
        store.unfinished_journals().await.unwrap().is_empty(),
        "and its parts deleted"
    );
}

/// A run that finds a group's journal (its writer was killed after writing it) finishes it
/// before anything else: the counts once, the ledger entries, the journal gone.
#[tokio::test]
async fn a_run_finishes_a_group_left_unfinished_first() {
    let fx = Fixture::new(quiet_tenant()).await;
    let store = store(&fx).await;
    let created = time::OffsetDateTime::now_utc() - time::Duration::days(2);
    let journal = Journal {
        id: "0-left-over".into(),
        counts: vec![JournalCount {
            kind: Kind::App,
            app_id: COLD_APP.into(),
            day: "2026-11-24".into(),
            launches: 7,
            last_launch: Some("2026-11-24T10:00:00Z".into()),
            users: Vec::new(),
        }],
        ledger: vec![LedgerEntry {
            content_type: "Audit.General".into(),
            content_id: "left-over-blob".into(),
            content_created: created,
            content_expiration: None,
            status: LedgerStatus::Done,
            records: 9,
            kept: 7,
            rejected: 0,
        }],
    };
    store.write_journal(&journal).await.unwrap();
    // Half done when its run was killed: the counter already took the group's count.
    store.apply_counts(&journal).await.unwrap();

    for _ in 0..2 {
        let summary = fx.sync_ok().await;
        assert_eq!(summary["complete"], json!(true), "{summary}");
        let cold = store
            .subject_day_summary(Kind::App, "2026-11-24", COLD_APP)
            .await
            .unwrap();
        assert_eq!(cold[0].count, 7);
        assert_eq!(cold[0].last.as_deref(), Some("2026-11-24T10:00:00Z"));
        assert!(store.unfinished_journals().await.unwrap().is_empty());
        let settled = store
            .settled_among("Audit.General", &[(created, "left-over-blob")])
            .await
            .unwrap();
        assert!(settled.contains("left-over-blob"));
    }
    fx.assert_exactly_the_truth().await;
}

#[tokio::test]
async fn two_blobs_racing_for_one_record_give_it_exactly_one_owner() {
    let fx = Fixture::new(quiet_tenant()).await;
    let store = store(&fx).await;
    let locks = KeyLocks::default();
    for round in 0..20 {
        let events: Vec<AuditEvent> = (0..25)
            .map(|i| launch_event(&format!("race-{round}-{i}")))
            .collect();
        let (a, b) = futures::join!(
            store.write_new_events(&events, "blob-a", &locks),
            store.write_new_events(&events, "blob-b", &locks),
        );
        let (a, b) = (a.unwrap(), b.unwrap());
        for i in 0..events.len() {
            assert!(
                a.owned[i] ^ b.owned[i],
                "round {round}, event {i}: one owner"
            );
        }
        assert_eq!(a.outcome.new + b.outcome.new, 25);
        // The owner recognises its own events on a second attempt; the other never does.
        let again = store
            .write_new_events(&events, "blob-a", &locks)
            .await
            .unwrap();
        assert_eq!(again.owned, a.owned);
        assert_eq!(again.outcome.new, 0);
    }
    // What was stored names the owner.
    let item = event_items(&launch_event("x"), "blob-a").main;
    assert_eq!(item["content_id"].as_s().unwrap(), "blob-a");
}

/// A launch of `app` at `time` by user number `user`.
fn launch(id: u64, app: &str, user: u64, time: &str) -> Value {
    // Mixed case: the same user must count once.
    let upn = if id.is_multiple_of(3) {
        format!("User{user}@Contoso.com")
    } else {
        format!("user{user}@contoso.com")
    };
    json!({"Id": format!("c0c0c0c0-0000-4000-8000-{id:012}"), "RecordType": 45, "CreationTime": time,
           "Operation": "LaunchPowerApp", "Workload": "PowerApps", "UserId": upn, "AppName": app,
           "AppDisplayName": format!("App {}", &app[34..])})
}

/// Sixteen blobs (one run's worth in flight at once) of a hot app-day with 2,500 users, each
/// blob also carrying records of its neighbours and of earlier blobs.
fn hot_app_day(fx: &Fixture) -> usize {
    let mut rng = rand::rngs::StdRng::seed_from_u64(20261124);
    let now = fx.tenant.now();
    let time = |minutes: i64| {
        (now - time::Duration::minutes(minutes))
            .format(time::macros::format_description!(
                "[year]-[month]-[day]T[hour]:[minute]:[second]"
            ))
            .unwrap()
    };
    let mut all: Vec<Value> = Vec::new();
    let mut serial = 0;
    for blob in 0..16 {
        let mut records = Vec::new();
        for _ in 0..250 {
            serial += 1;
            let app = if rng.random_bool(0.9) {
                HOT_APP
            } else {
                COLD_APP
            };
            let record = launch(
                serial,
                app,
                rng.random_range(0..2500),
                &time(rng.random_range(5..120)),
            );
            records.push(record.clone());
            all.push(record);
        }
        // Re-deliveries: some records again in this blob, and in the next ones.
        for _ in 0..40 {
            records.push(all[rng.random_range(0..all.len())].clone());
        }
        fx.tenant.add_blob(
            ContentType::General,
            now - time::Duration::minutes(30 - blob),
            None,
            records,
        );
    }
    all.len()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hot_app_day_killed_midway_ends_with_exactly_the_truth() {
    let fx = Fixture::new(quiet_tenant()).await;
    let distinct = hot_app_day(&fx);
    // A lease far longer than any request, as in production (60 s against milliseconds): a
    // killed run's requests still inside moto are over before the next run takes the lock.
    let env = with_vars(
        fx.env.clone(),
        &[
            ("AUDIT_LOGS_CONCURRENCY", "16"),
            ("AUDIT_LOGS_LOCK_LEASE_SECONDS", "15"),
        ],
    );

    for after in [1500, 4000] {
        kill_after(FUNCTION, &env, Duration::from_millis(after)).await;
    }
    let mut runs = Vec::new();
    loop {
        let run = invoke(FUNCTION, &env, &json!({})).await;
        let reply = run.ok().clone();
        runs.push(reply.clone());
        if reply["complete"] == json!(true) {
            break;
        }
        assert!(runs.len() < 4, "no complete run: {reply}");
    }
    let last = runs.last().unwrap();
    println!("after two kills: {runs:?}");

    let stored = fx.stored().await;
    assert!(stored.len() >= distinct, "every hot launch is stored");
    fx.assert_exactly_the_truth().await;
    counters_equal_a_recount(&fx).await;
    let days: BTreeSet<String> = fx
        .expected()
        .values()
        .map(|r| r.creation_time[..10].to_string())
        .collect();
    let (first, to) = (days.first().unwrap().clone(), days.last().unwrap().clone());
    let report = invoke("audit-report", &env, &json!({"from": first, "to": to})).await;
    assert_eq!(comparable(report.ok()), expected_report(&fx, &first, &to));

    // The hot app's users and events spread over every bucket of their day.
    let items = scan_all(&fx.moto, &fx.tables.events).await;
    let mut per_pk: BTreeMap<String, u64> = BTreeMap::new();
    for item in &items {
        let pk = item["pk"].as_s().unwrap();
        if pk.starts_with("USERS#") || pk.starts_with(&format!("APP#{HOT_APP}#")) {
            *per_pk
                .entry(pk.rsplit_once('#').unwrap().0.to_string())
                .or_default() += 1;
        }
    }
    let user_keys = items
        .iter()
        .filter_map(|i| i["pk"].as_s().ok())
        .filter(|pk| pk.starts_with("USERS#"))
        .collect::<BTreeSet<_>>()
        .len();
    assert!(
        user_keys >= 32,
        "users spread over the day's 32 keys: {user_keys}"
    );
    let event_keys = items
        .iter()
        .filter_map(|i| i["pk"].as_s().ok())
        .filter(|pk| pk.starts_with(&format!("APP#{HOT_APP}#")))
        .collect::<BTreeSet<_>>()
        .len();
    assert!(
        event_keys >= 32,
        "events spread over the app-day's 32 keys: {event_keys}"
    );
    assert!(last["summaries_pending"] == json!(0), "{last}");
    // A kill between a group's journal and its last write leaves the journal, which the next
    // run finishes first: after the last run none is left.
    let journals = scan_all(&fx.moto, &fx.tables.state)
        .await
        .iter()
        .filter(|item| {
            item.get("pk")
                .and_then(|v| v.as_s().ok())
                .map(String::as_str)
                == Some("JOURNAL")
        })
        .count();
    assert_eq!(journals, 0, "unfinished groups left");
    println!("hot app-day: {per_pk:?}");
}

/// Every app-day counter equals the launches stored for that app-day, and no record is stored
/// under two keys.
async fn counters_equal_a_recount(fx: &Fixture) {
    let items = scan_all(&fx.moto, &fx.tables.events).await;
    let s = |item: &common::Item, name: &str| item.get(name).and_then(|v| v.as_s().ok()).cloned();
    let mut recount: BTreeMap<(String, String), u64> = BTreeMap::new();
    let mut ids: BTreeMap<String, u64> = BTreeMap::new();
    for item in items
        .iter()
        .filter(|i| s(i, "sk").is_some_and(|sk| sk.starts_with("EV#")))
    {
        *ids.entry(s(item, "id").unwrap()).or_default() += 1;
        if s(item, "operation").as_deref() == Some("LaunchPowerApp")
            && s(item, "app_kind").as_deref() == Some("PowerApp")
            && let Some(app) = s(item, "app_id")
        {
            let day = s(item, "creation_time").unwrap()[..10].to_string();
            *recount.entry((app, day)).or_default() += 1;
        }
    }
    let twice: Vec<_> = ids.iter().filter(|(_, n)| **n > 1).collect();
    assert!(twice.is_empty(), "stored under two keys: {twice:?}");
    let counted: BTreeMap<(String, String), u64> = items
        .iter()
        .filter(|i| s(i, "pk").is_some_and(|pk| pk.starts_with("DAY#")))
        .map(|i| {
            let launches = i["launches"].as_n().unwrap().parse().unwrap();
            ((s(i, "app_id").unwrap(), s(i, "day").unwrap()), launches)
        })
        .collect();
    assert_eq!(
        counted, recount,
        "counters = a recount of the stored launches"
    );
}
