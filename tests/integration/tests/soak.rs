//! The soak: many sync runs over a tenant that keeps producing content, with random faults on
//! the Microsoft side (the emulator) and on the AWS side (a proxy in front of moto), and runs
//! stopped by their deadline or killed outright. Afterwards the table holds exactly the truth,
//! and the report equals the truth's counts.
//!
//! `cargo test` runs a short soak; `make soak` runs the long one (SOAK_RUNS=60).

mod common;

use std::collections::BTreeMap;
use std::time::Duration;

use common::{FUNCTION, Fixture, comparable, expected_report, small_tenant};
use integration_tests::aws_proxy::{AwsFaultProxy, AwsFaults};
use integration_tests::{invoke, kill_after, with_vars};
use o365_emulator::{
    ContentType, EmulatorConfig, FaultKind, GeneratorConfig, RandomFault, RandomFaults,
};
use rand::{RngExt, SeedableRng};
use serde_json::{Value, json};

const APPS: [&str; 4] = [
    "a1a1a1a1-0000-4000-8000-000000000001",
    "a1a1a1a1-0000-4000-8000-000000000002",
    "a1a1a1a1-0000-4000-8000-000000000003",
    "a1a1a1a1-0000-4000-8000-000000000004",
];
const USERS: [&str; 6] = [
    "ana@contoso.com",
    "ANA@Contoso.com",
    "ben@contoso.com",
    "cho@contoso.com",
    "Dev@Contoso.com",
    "eli@contoso.com",
];

/// A fresh blob of launches (both shapes), flows and noise, sometimes re-delivering earlier
/// records, sometimes visible only a few seconds later.
fn new_content(
    fx: &Fixture,
    rng: &mut rand::rngs::StdRng,
    serial: &mut u64,
    earlier: &mut Vec<Value>,
) {
    let now = fx.tenant.now();
    let mut records = Vec::new();
    for _ in 0..rng.random_range(5..40) {
        *serial += 1;
        let id = format!("50a50a50-0000-4000-8000-{:012}", *serial);
        let minutes_ago = rng.random_range(1..180);
        let time = (now - time::Duration::minutes(minutes_ago))
            .format(time::macros::format_description!(
                "[year]-[month]-[day]T[hour]:[minute]:[second]"
            ))
            .unwrap();
        let app = APPS[rng.random_range(0..APPS.len())];
        let user = USERS[rng.random_range(0..USERS.len())];
        let record = match rng.random_range(0..10) {
            0..=4 => {
                json!({"Id": id, "RecordType": 256, "CreationTime": time, "Operation": "LaunchPowerApp",
                "Workload": "PowerPlatform", "UserId": user,
                "PropertyCollection": [{"Name": "powerplatform.analytics.resource.power_app.id", "Value": app},
                    {"Name": "powerplatform.analytics.resource.power_app.display_name", "Value": format!("Soak {}", &app[34..])}]})
            }
            5..=6 => {
                json!({"Id": id, "RecordType": 45, "CreationTime": time, "Operation": "LaunchPowerApp",
                "Workload": "PowerApps", "UserId": user, "AppName": app})
            }
            7 => json!({"Id": id, "RecordType": 30, "CreationTime": time, "Operation": "EditFlow",
                "Workload": "MicrosoftFlow", "UserId": user,
                "FlowDetailsUrl": format!("https://make.powerautomate.com/flows/{app}")}),
            _ => {
                json!({"Id": id, "RecordType": 6, "CreationTime": time, "Operation": "FileAccessed",
                "Workload": "SharePoint", "UserId": user})
            }
        };
        earlier.push(record.clone());
        records.push(record);
    }
    // The service re-delivers some records, days later or in the next blob.
    for _ in 0..rng.random_range(0..4) {
        let again = earlier[rng.random_range(0..earlier.len())].clone();
        records.push(again);
    }
    let late = rng.random_bool(0.3);
    let available_at = late.then(|| now + time::Duration::seconds(rng.random_range(1..6)));
    fx.tenant.add_blob(
        ContentType::General,
        now - time::Duration::minutes(rng.random_range(0..60)),
        available_at,
        records,
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn soak_with_faults_on_both_sides_loses_and_duplicates_nothing() {
    let runs: usize = std::env::var("SOAK_RUNS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(8);
    let seed: u64 = std::env::var("SOAK_SEED")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(20261124);
    let fx = Fixture::new(EmulatorConfig {
        generator: GeneratorConfig {
            hours_before: 6,
            ..small_tenant().generator
        },
        ..small_tenant()
    })
    .await;
    let proxy = AwsFaultProxy::start(&fx.moto.endpoint, seed).await;
    let env = with_vars(
        fx.env.clone(),
        &[("AWS_ENDPOINT_URL", proxy.endpoint.as_str())],
    );

    let fault = |fault, probability| RandomFault { fault, probability };
    fx.tenant.set_random_faults(RandomFaults {
        seed,
        path_contains: None,
        faults: vec![
            fault(FaultKind::Throttle429, 0.04),
            fault(FaultKind::Throttle403, 0.03),
            fault(FaultKind::Server500, 0.03),
            fault(FaultKind::Unavailable503, 0.03),
            fault(FaultKind::Timeout408, 0.02),
            fault(FaultKind::Cut { after_bytes: 100 }, 0.04),
            fault(FaultKind::ExpireTokens, 0.02),
            fault(FaultKind::Delay { ms: 30 }, 0.03),
            fault(FaultKind::RetryAfter { seconds: 1 }, 0.01),
        ],
    });
    proxy.set_faults(AwsFaults {
        throughput_exceeded: 0.03,
        throttling: 0.03,
        server_error: 0.02,
        cut_before: 0.02,
        cut_after: 0.02,
        partial_batch: 0.05,
    });

    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    let mut serial = 0;
    let mut earlier = Vec::new();
    let mut outcomes: BTreeMap<&str, u64> = BTreeMap::new();
    for _ in 0..runs {
        for _ in 0..rng.random_range(1..4) {
            new_content(&fx, &mut rng, &mut serial, &mut earlier);
        }
        let outcome = match rng.random_range(0..10) {
            0..=1 => {
                // Killed outright, somewhere in the run.
                let after = Duration::from_millis(rng.random_range(100..2500));
                kill_after(FUNCTION, &env, after).await;
                "killed"
            }
            2 => {
                let env = with_vars(env.clone(), &[("AUDIT_LOGS_MAX_RUN_SECONDS", "1")]);
                match invoke(FUNCTION, &env, &json!({})).await {
                    run if run.status.success() && run.reply["complete"] == json!(true) => {
                        "deadline_complete"
                    }
                    run if run.status.success() => "deadline_stopped",
                    _ => "failed",
                }
            }
            _ => match invoke(FUNCTION, &env, &json!({})).await {
                run if run.status.success() && run.reply["complete"] == json!(true) => "complete",
                run if run.status.success() => "incomplete",
                _ => "failed",
            },
        };
        *outcomes.entry(outcome).or_default() += 1;
    }

    // The storm ends; late blobs become visible; the next runs catch up.
    let ms_faults = fx.tenant.stats().faults_by_kind;
    fx.tenant.clear_faults();
    proxy.set_faults(AwsFaults::NONE);
    tokio::time::sleep(Duration::from_secs(6)).await;
    let mut final_runs = 0;
    loop {
        final_runs += 1;
        let run = invoke(FUNCTION, &env, &json!({})).await;
        if run.status.success() && run.reply["complete"] == json!(true) {
            break;
        }
        assert!(
            final_runs < 4,
            "no complete run after the storm: {}",
            run.stdout
        );
    }

    let stored = fx.stored().await.len();
    fx.assert_exactly_the_truth().await;
    let (first, last) = {
        let days: std::collections::BTreeSet<String> = fx
            .expected()
            .values()
            .map(|r| r.creation_time[..10].to_string())
            .collect();
        (days.first().unwrap().clone(), days.last().unwrap().clone())
    };
    let report = invoke("audit-report", &env, &json!({"from": first, "to": last})).await;
    assert_eq!(comparable(report.ok()), expected_report(&fx, &first, &last));

    let aws_faults = proxy.injected();
    println!(
        "soak: {runs} runs {outcomes:?}, then {final_runs} clean run(s); Microsoft-side faults {ms_faults:?}; \
         AWS-side faults {aws_faults:?}; stored {stored} events = the truth exactly; report = the truth's counts"
    );
    assert!(
        ms_faults.values().sum::<u64>() > 0 && aws_faults.values().sum::<u64>() > 0,
        "faults were injected"
    );
}
