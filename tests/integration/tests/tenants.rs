//! Many tenants from one deployment, through the binaries, moto and four emulated tenants:
//! the variables' tenant, and three in the registry (a certificate in GCC, a wrong secret, a
//! throttled DoD tenant). One scheduled round runs the template's own state machine
//! definition; each tenant ends with exactly its truth in its own partition, the failing one is
//! reported, and the others complete.

mod common;

use std::collections::{BTreeMap, BTreeSet};

use aws_sdk_dynamodb::types::AttributeValue;
use common::{Item, assert_is_the_truth, comparable, expected_of, expected_report_of};
use futures::future::BoxFuture;
use integration_tests::states::{self, InvokeError, Invoker};
use integration_tests::{Moto, Tables, create_tables, invoke, scan_all, tenant_env, with_vars};
use o365_emulator::{
    ContentType, Emulator, EmulatorConfig, FaultKind, FaultRule, GeneratorConfig, TestCertificate,
};
use serde_json::{Value, json};

const CERT_TENANT: &str = "b7e0c3a1-5d2f-4e8a-9c61-0a1b2c3d4e5f";
const WRONG_SECRET_TENANT: &str = "c4d5e6f7-0a1b-4c2d-8e3f-112233445566";
const THROTTLED_TENANT: &str = "d9e8f7a6-b5c4-4d3e-a2f1-998877665544";

fn tenant_config(tenant_id: &str, seed: u64) -> EmulatorConfig {
    EmulatorConfig {
        tenant_id: tenant_id.to_string(),
        tenant_domain: format!("t{seed}.onmicrosoft.com"),
        client_id: format!("{seed:08x}-1111-4222-8333-444455556666"),
        seed,
        page_size: 20,
        generator: GeneratorConfig {
            hours_before: 30,
            content_types: vec![ContentType::General],
            blobs_per_hour: 2,
            records_per_blob_min: 15,
            records_per_blob_max: 30,
            ..GeneratorConfig::default()
        },
        ..EmulatorConfig::default()
    }
}

struct World {
    moto: Moto,
    tables: Tables,
    env: Vec<(String, String)>,
    variables: Emulator,
    cert: Emulator,
    wrong: Emulator,
    throttled: Emulator,
}

impl World {
    async fn new() -> World {
        let moto = Moto::start().await;
        let tables = create_tables(&moto).await;
        let certificate = TestCertificate::generate();
        let variables = Emulator::start(tenant_config(o365_emulator::DEFAULT_TENANT_ID, 7))
            .await
            .unwrap();
        let cert = Emulator::start(EmulatorConfig {
            client_certificates: vec![certificate.certificate_pem.clone()],
            ..tenant_config(CERT_TENANT, 11)
        })
        .await
        .unwrap();
        let wrong = Emulator::start(tenant_config(WRONG_SECRET_TENANT, 13))
            .await
            .unwrap();
        let throttled = Emulator::start(tenant_config(THROTTLED_TENANT, 17))
            .await
            .unwrap();
        let secrets = aws_sdk_secretsmanager::Client::new(&moto.sdk_config().await);
        let put = |name: &str, value: String| {
            secrets
                .create_secret()
                .name(name)
                .secret_string(value)
                .send()
        };
        put(
            "audit-log-sync/cert",
            format!(
                "{}\n{}",
                certificate.certificate_pem, certificate.private_key_pem
            ),
        )
        .await
        .unwrap();
        put("audit-log-sync/wrong", "not-the-secret".into())
            .await
            .unwrap();
        put(
            "audit-log-sync/throttled",
            json!({"client_secret": throttled.client_secret()}).to_string(),
        )
        .await
        .unwrap();
        let mut env = tenant_env(&variables);
        env.extend(moto.env());
        env.extend(tables.env());
        let env = with_vars(
            env,
            &[
                ("AUDIT_LOGS_INITIAL_LOOKBACK_HOURS", "168"),
                ("AUDIT_LOGS_LOCK_LEASE_SECONDS", "3"),
                ("AUDIT_LOGS_CONCURRENCY", "4"),
                ("AUDIT_LOGS_MAX_RETRIES", "4"),
            ],
        );
        World {
            moto,
            tables,
            env,
            variables,
            cert,
            wrong,
            throttled,
        }
    }

    async fn subscription(&self, event: Value) -> integration_tests::FunctionRun {
        invoke("audit-subscription", &self.env, &event).await
    }

    async fn report(&self, event: Value) -> Value {
        invoke("audit-report", &self.env, &event).await.ok().clone()
    }

    /// Stored events by record id, per partition-key prefix (`""` for the variables' tenant).
    async fn stored_by_scope(&self) -> BTreeMap<String, BTreeMap<String, Item>> {
        let mut scopes: BTreeMap<String, BTreeMap<String, Item>> = BTreeMap::new();
        for item in scan_all(&self.moto, &self.tables.events).await {
            let pk = item["pk"].as_s().unwrap();
            let scope = scope_of(pk);
            if item["sk"].as_s().is_ok_and(|sk| sk.starts_with("EV#")) {
                let id = item["id"].as_s().unwrap().clone();
                let previous = scopes.entry(scope).or_default().insert(id.clone(), item);
                assert!(previous.is_none(), "{id} stored twice in one tenant");
            } else {
                scopes.entry(scope).or_default();
            }
        }
        scopes
    }
}

/// `T#{tenant}#` of a registered tenant's key, or `""`.
fn scope_of(pk: &str) -> String {
    match pk.strip_prefix("T#") {
        Some(rest) => format!("T#{}#", rest.split('#').next().unwrap()),
        None => String::new(),
    }
}

/// The hourly round's functions are the binaries, run once each in command-line mode, as a
/// Lambda invocation would run them.
struct Binaries<'a> {
    env: &'a [(String, String)],
}

impl Invoker for Binaries<'_> {
    fn invoke<'a>(
        &'a self,
        function: &'a str,
        payload: Value,
    ) -> BoxFuture<'a, Result<Value, InvokeError>> {
        Box::pin(async move {
            let run = invoke(function, self.env, &payload).await;
            if run.status.success() {
                Ok(run.reply)
            } else {
                Err(InvokeError::Function(run.reply))
            }
        })
    }
}

/// One scheduled round through the template's definition, its functions the binaries.
async fn scheduled_round(env: &[(String, String)]) -> Value {
    let machine = states::template_state_machine();
    let values: BTreeMap<&str, &str> = machine
        .substitutions
        .iter()
        .map(|name| {
            let binary = if name.contains("Subscription") {
                "audit-subscription"
            } else if name.contains("Sync") {
                "audit-sync"
            } else {
                panic!("the definition names a function this test does not know: {name}")
            };
            (name.as_str(), binary)
        })
        .collect();
    let definition = states::substitute(&machine.definition, &values).unwrap();
    states::execute(&definition, json!({}), &Binaries { env }, 0.001)
        .await
        .unwrap_or_else(|err| panic!("the round failed: {err}"))
}

fn add(tenant: &str, client_id: &str, credential: (&str, &str), cloud: &str, url: &str) -> Value {
    let mut event = json!({
        "operation": "add_tenant", "tenant_id": tenant, "client_id": client_id,
        "cloud": cloud, "audience": url, "authority": url,
    });
    event[credential.0] = json!(credential.1);
    event
}

/// The round's entry for `tenant`.
fn entry<'a>(round: &'a Value, tenant: &str) -> &'a Value {
    let entries = round
        .as_array()
        .or_else(|| round["results"].as_array())
        .unwrap_or_else(|| panic!("the round's output lists the tenants: {round}"));
    entries
        .iter()
        .find(|e| e["tenant"] == tenant)
        .unwrap_or_else(|| panic!("no entry for {tenant} in {round}"))
}

fn days(tenants: &[&Emulator]) -> (String, String) {
    let days: BTreeSet<String> = tenants
        .iter()
        .flat_map(|t| expected_of(t).into_values())
        .map(|r| r.creation_time[..10].to_string())
        .collect();
    (days.first().unwrap().clone(), days.last().unwrap().clone())
}

#[tokio::test]
async fn one_round_syncs_every_tenant_into_its_own_partition() {
    let world = World::new().await;
    let w = &world;

    // The registry, through audit-subscription.
    for event in [
        add(
            CERT_TENANT,
            w.cert.client_id(),
            ("client_certificate_arn", "audit-log-sync/cert"),
            "gcc",
            &w.cert.base_url(),
        ),
        add(
            WRONG_SECRET_TENANT,
            w.wrong.client_id(),
            ("client_secret_arn", "audit-log-sync/wrong"),
            "commercial",
            &w.wrong.base_url(),
        ),
        add(
            &THROTTLED_TENANT.to_uppercase(),
            w.throttled.client_id(),
            ("client_secret_arn", "audit-log-sync/throttled"),
            "dod",
            &w.throttled.base_url(),
        ),
    ] {
        let reply = w.subscription(event.clone()).await;
        let reply = reply.ok();
        assert_eq!(reply["operation"], "add_tenant", "{reply}");
        assert_eq!(reply["existed"], false);
    }
    let listed = w.subscription(json!({"operation": "list_tenants"})).await;
    let listed = listed.ok()["tenants"].as_array().unwrap().clone();
    let ids: Vec<&str> = listed
        .iter()
        .map(|t| t["tenant_id"].as_str().unwrap())
        .collect();
    assert_eq!(
        ids,
        [
            o365_emulator::DEFAULT_TENANT_ID,
            CERT_TENANT,
            WRONG_SECRET_TENANT,
            THROTTLED_TENANT
        ]
    );
    assert_eq!(listed[0]["source"], "variables");
    assert_eq!(listed[1]["credential"], "certificate");
    assert_eq!(listed[1]["cloud"], "gcc");
    assert_eq!(listed[3]["cloud"], "dod");

    // Each tenant's subscription, started by name; the wrong secret says what to fix.
    w.subscription(json!({"operation": "start"})).await.ok();
    for tenant in [CERT_TENANT, THROTTLED_TENANT] {
        let reply = w
            .subscription(json!({"operation": "start", "tenant": tenant}))
            .await;
        assert_eq!(reply.ok()["tenant"], tenant);
    }
    let refused = w
        .subscription(json!({"operation": "start", "tenant": WRONG_SECRET_TENANT}))
        .await;
    assert_eq!(refused.error_type(), "AuthError");
    assert!(
        refused.error_message().contains("AADSTS7000215"),
        "{}",
        refused.error_message()
    );

    // The throttled tenant's API answers 429 a few times; its run rides it out.
    w.throttled
        .inject(FaultRule::new("/subscriptions/content", FaultKind::Throttle429).times(3));
    let round = scheduled_round(&w.env).await;

    let failed = entry(&round, WRONG_SECRET_TENANT);
    assert_eq!(failed["error"]["Error"], "AuthError", "{failed}");
    assert!(
        failed["error"]["Cause"]
            .as_str()
            .is_some_and(|c| c.contains("AADSTS7000215")),
        "{failed}"
    );
    for tenant in [
        o365_emulator::DEFAULT_TENANT_ID,
        CERT_TENANT,
        THROTTLED_TENANT,
    ] {
        let done = entry(&round, tenant);
        let summary = &done["summary"];
        assert_eq!(summary["complete"], true, "{done}");
        assert_eq!(summary["blobs_failed"], 0, "{done}");
        assert!(summary["events_new"].as_u64().unwrap() > 0, "{done}");
    }
    assert!(
        w.throttled
            .stats()
            .responses_by_status
            .get(&429)
            .copied()
            .unwrap_or(0)
            >= 3
    );

    // Exactly each tenant's truth, each in its own partition; nothing of the failing tenant.
    let stored = w.stored_by_scope().await;
    let scope = |t: &str| format!("T#{t}#");
    assert_is_the_truth(&stored[""], &expected_of(&w.variables));
    assert_is_the_truth(&stored[&scope(CERT_TENANT)], &expected_of(&w.cert));
    assert_is_the_truth(
        &stored[&scope(THROTTLED_TENANT)],
        &expected_of(&w.throttled),
    );
    assert!(
        !stored.contains_key(&scope(WRONG_SECRET_TENANT)),
        "the failing tenant stored nothing"
    );
    assert_eq!(stored.len(), 3, "{:?}", stored.keys().collect::<Vec<_>>());
    for item in scan_all(&w.moto, &w.tables.state).await {
        let pk = item["pk"].as_s().unwrap();
        let found = scope_of(pk);
        assert!(
            [
                String::new(),
                scope(CERT_TENANT),
                scope(WRONG_SECRET_TENANT),
                scope(THROTTLED_TENANT)
            ]
            .contains(&found),
            "{pk}"
        );
    }

    // Reports name their tenant and count only its events.
    let (from, to) = days(&[&w.variables, &w.cert, &w.throttled]);
    for (tenant, emulator, event) in [
        (
            o365_emulator::DEFAULT_TENANT_ID,
            &w.variables,
            json!({"from": from, "to": to}),
        ),
        (
            CERT_TENANT,
            &w.cert,
            json!({"from": from, "to": to, "tenant": CERT_TENANT}),
        ),
        (
            THROTTLED_TENANT,
            &w.throttled,
            json!({"from": from, "to": to, "tenant": THROTTLED_TENANT.to_uppercase()}),
        ),
    ] {
        let mut reply = w.report(event).await;
        assert_eq!(reply["tenant"], tenant);
        reply.as_object_mut().unwrap().remove("tenant");
        assert_eq!(
            comparable(&reply),
            expected_report_of(emulator, &from, &to),
            "{tenant}"
        );
    }
    let page = w
        .report(json!({"from": from, "to": to, "tenant": CERT_TENANT, "format": "html"}))
        .await;
    assert!(
        page["html"]
            .as_str()
            .unwrap()
            .contains(&format!("data-tenant=\"{CERT_TENANT}\"")),
        "the page names its tenant"
    );

    // The all-tenants summary: one row per tenant, each its own totals.
    let all = w
        .report(json!({"from": from, "to": to, "view": "tenants"}))
        .await;
    let rows = all["tenants"].as_array().unwrap();
    assert_eq!(rows.len(), 4, "{all}");
    let mut sum = 0;
    for (tenant, emulator) in [
        (o365_emulator::DEFAULT_TENANT_ID, Some(&w.variables)),
        (CERT_TENANT, Some(&w.cert)),
        (THROTTLED_TENANT, Some(&w.throttled)),
        (WRONG_SECRET_TENANT, None),
    ] {
        let row = rows.iter().find(|r| r["tenant_id"] == tenant).unwrap();
        let expected = emulator
            .map(|e| expected_report_of(e, &from, &to)["totals"].clone())
            .unwrap_or(json!({"launches": 0, "unique_users": 0, "apps": 0}));
        assert_eq!(row["totals"], expected, "{tenant}");
        sum += expected["launches"].as_u64().unwrap();
    }
    assert_eq!(all["totals"]["launches"], sum);

    // A report function limited to one tenant reads that one only.
    let limited = with_vars(w.env.clone(), &[("AUDIT_LOGS_REPORT_TENANTS", CERT_TENANT)]);
    let denied = invoke("audit-report", &limited, &json!({"view": "tenants"})).await;
    assert_eq!(denied.error_type(), "InputError");
    let denied = invoke(
        "audit-report",
        &limited,
        &json!({"tenant": THROTTLED_TENANT}),
    )
    .await;
    assert!(
        denied.error_message().contains("may not read"),
        "{}",
        denied.error_message()
    );
    invoke("audit-report", &limited, &json!({"tenant": CERT_TENANT}))
        .await
        .ok();

    // Removing a tenant stops its syncing and keeps its data.
    let removed = w
        .subscription(json!({"operation": "remove_tenant", "tenant_id": THROTTLED_TENANT}))
        .await;
    assert_eq!(removed.ok()["existed"], true);
    let listed = w.subscription(json!({"operation": "list_tenants"})).await;
    assert_eq!(listed.ok()["tenants"].as_array().unwrap().len(), 3);
    let refused = invoke("audit-sync", &w.env, &json!({"tenant": THROTTLED_TENANT})).await;
    assert_eq!(refused.error_type(), "InputError");
    assert!(
        refused.error_message().contains("removed"),
        "{}",
        refused.error_message()
    );
    let kept = w
        .report(json!({"from": from, "to": to, "tenant": THROTTLED_TENANT}))
        .await;
    assert_eq!(
        kept["totals"],
        expected_report_of(&w.throttled, &from, &to)["totals"]
    );
}

#[tokio::test]
async fn registry_input_errors_name_the_field() {
    let moto = Moto::start().await;
    let tables = create_tables(&moto).await;
    let mut env = moto.env();
    env.extend(tables.env());
    let run = |event: Value| {
        let env = env.clone();
        async move { invoke("audit-subscription", &env, &event).await }
    };
    for (event, says) in [
        (
            json!({"operation": "add_tenant", "tenant_id": "contoso", "client_id": "c", "client_secret_arn": "a"}),
            "Directory ID",
        ),
        (
            json!({"operation": "add_tenant", "tenant_id": CERT_TENANT, "client_secret_arn": "a"}),
            "client_id",
        ),
        (
            json!({"operation": "add_tenant", "tenant_id": CERT_TENANT, "client_id": "c"}),
            "client_certificate_arn",
        ),
        (
            json!({"operation": "add_tenant", "tenant_id": CERT_TENANT, "client_id": "c",
                   "client_secret_arn": "a", "cloud": "mooncake"}),
            "\"cloud\" of tenant",
        ),
        (
            json!({"operation": "add_tenant", "tenant_id": CERT_TENANT, "client_id": "c",
                   "client_secret_arn": "a", "authority": "http://login.example.com"}),
            "loopback",
        ),
        (
            json!({"operation": "start", "tenant": CERT_TENANT}),
            "not registered",
        ),
        (
            json!({"operation": "add_tenant", "tenant_id": CERT_TENANT, "client_id": "c".repeat(5000),
                   "client_secret_arn": "a"}),
            "\"client_id\" is longer",
        ),
        (
            json!({"operation": "list_tenants", "tenant": CERT_TENANT}),
            "\"tenant\"",
        ),
    ] {
        let reply = run(event.clone()).await;
        let message = reply.error_message();
        assert!(message.contains(says), "{event}: {message}");
    }
    // With no variables' tenant and an empty registry there is nothing to sync, and saying
    // so is not an error.
    let listed = run(json!({"operation": "list_tenants"})).await;
    assert_eq!(listed.ok()["tenants"], json!([]));

    // A registry item something else wrote is listed with its error; the others still are.
    run(
        json!({"operation": "add_tenant", "tenant_id": CERT_TENANT, "client_id": "c",
               "client_secret_arn": "audit-log-sync/cert"}),
    )
    .await
    .ok();
    aws_sdk_dynamodb::Client::new(&moto.sdk_config().await)
        .put_item()
        .table_name(&tables.state)
        .item("pk", AttributeValue::S("TENANTS".into()))
        .item("sk", AttributeValue::S(WRONG_SECRET_TENANT.into()))
        .send()
        .await
        .unwrap();
    let listed = run(json!({"operation": "list_tenants"})).await;
    let tenants = listed.ok()["tenants"].clone();
    assert_eq!(tenants.as_array().unwrap().len(), 2, "{tenants}");
    assert_eq!(tenants[0]["tenant_id"], CERT_TENANT);
    assert!(tenants[0]["error"].is_null(), "{tenants}");
    assert_eq!(tenants[1]["tenant_id"], WRONG_SECRET_TENANT);
    assert!(
        tenants[1]["error"]
            .as_str()
            .is_some_and(|e| e.contains("add_tenant")),
        "{tenants}"
    );
}

/// A warm function keeps the certificate it read, so a rotation never has a gap; once Entra
/// refuses it (the old certificate deleted from the app), the next run reads the secret again.
#[tokio::test]
async fn a_warm_sync_picks_up_a_rotated_certificate() {
    let moto = Moto::start().await;
    let tables = create_tables(&moto).await;
    let (old, new) = (TestCertificate::generate(), TestCertificate::generate());
    let tenant = Emulator::start(EmulatorConfig {
        client_certificates: vec![old.certificate_pem.clone()],
        // Each run needs a new token, so each run signs an assertion.
        token_lifetime_secs: 2,
        ..tenant_config(CERT_TENANT, 19)
    })
    .await
    .unwrap();
    let pem = |c: &TestCertificate| format!("{}\n{}", c.certificate_pem, c.private_key_pem);
    let secrets = aws_sdk_secretsmanager::Client::new(&moto.sdk_config().await);
    secrets
        .create_secret()
        .name("audit-log-sync/rotating")
        .secret_string(pem(&old))
        .send()
        .await
        .unwrap();
    let mut env = moto.env();
    env.extend(tables.env());
    let env = with_vars(env, &[("AUDIT_LOGS_MAX_RETRIES", "1")]);
    let url = tenant.base_url();
    let add = add(
        CERT_TENANT,
        tenant.client_id(),
        ("client_certificate_arn", "audit-log-sync/rotating"),
        "commercial",
        &url,
    );
    invoke("audit-subscription", &env, &add).await.ok();
    let start = json!({"operation": "start", "tenant": CERT_TENANT});
    invoke("audit-subscription", &env, &start).await.ok();

    let sync = integration_tests::CargoLambda::start("audit-sync", &env).await;
    let event = json!({"tenant": CERT_TENANT});
    let wait_for_token_expiry = || tokio::time::sleep(std::time::Duration::from_secs(3));
    assert_eq!(sync.invoke(&event).await.unwrap()["tenant"], CERT_TENANT);

    // Rotation: the new certificate registered beside the old, the secret holds the new one.
    tenant
        .set_client_certificates(vec![
            old.certificate_pem.clone(),
            new.certificate_pem.clone(),
        ])
        .unwrap();
    secrets
        .put_secret_value()
        .secret_id("audit-log-sync/rotating")
        .secret_string(pem(&new))
        .send()
        .await
        .unwrap();
    wait_for_token_expiry().await;
    sync.invoke(&event)
        .await
        .expect("the warm function still signs with the old one");

    // The old certificate deleted from the app: one run is refused, the next reads the secret.
    tenant
        .set_client_certificates(vec![new.certificate_pem.clone()])
        .unwrap();
    wait_for_token_expiry().await;
    let refused = sync.invoke(&event).await.unwrap_err();
    assert!(
        refused.contains("AuthError") && refused.contains("AADSTS700027"),
        "{refused}"
    );
    let resumed = sync
        .invoke(&event)
        .await
        .expect("the new certificate is read");
    assert_eq!(resumed["tenant"], CERT_TENANT);
}
