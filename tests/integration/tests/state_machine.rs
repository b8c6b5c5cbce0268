//! The hourly round's state machine, read from `infra/template.yaml` (through
//! `scripts/tables.py state-machine`) and run by the crate's Step Functions interpreter with
//! in-process stand-ins for audit-subscription and audit-sync; and the interpreter's own
//! semantics, on small definitions.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

use futures::future::BoxFuture;
use integration_tests::states::{
    ExecutionError, InvokeError, Invoker, execute, placeholders, substitute,
    template_state_machine, validate,
};
use integration_tests::{repo_root, venv_tool};
use serde_json::{Value, json};

const SUBSCRIPTION: &str = "audit-subscription";
const SYNC: &str = "audit-sync";

/// Real seconds per definition second: the LockedError retries (1 to 8 minutes) take
/// 60 to 480 ms.
const TIME_SCALE: f64 = 0.001;

const AUTH_FAILS: &str = "11111111-1111-4111-8111-111111111111";
const LOCKED_ONCE: &str = "22222222-2222-4222-8222-222222222222";
const FINE: &str = "33333333-3333-4333-8333-333333333333";

/// The template's definition, with the function names the stand-ins answer to.
fn round_definition() -> &'static Value {
    static DEFINITION: OnceLock<Value> = OnceLock::new();
    DEFINITION.get_or_init(|| {
        let machine = template_state_machine();
        let names = BTreeMap::from([
            ("SubscriptionFunctionArn", SUBSCRIPTION),
            ("SyncFunctionArn", SYNC),
        ]);
        substitute(&machine.definition, &names).expect("the test names every function")
    })
}

/// Lambda functions answering from `answer(function, payload, attempt)`, where `attempt`
/// counts the invocations with the same function and payload (1 for the first). Each takes
/// `delay`, so overlapping invocations can be counted.
struct Functions<F> {
    answer: F,
    delay: Duration,
    calls: Mutex<Vec<(String, Value)>>,
    running: AtomicUsize,
    peak: AtomicUsize,
}

type Answer = Result<Value, InvokeError>;

fn answering<F>(answer: F) -> Functions<F>
where
    F: Fn(&str, &Value, usize) -> Answer + Send + Sync,
{
    Functions {
        answer,
        delay: Duration::from_millis(5),
        calls: Mutex::new(Vec::new()),
        running: AtomicUsize::new(0),
        peak: AtomicUsize::new(0),
    }
}

impl<F> Functions<F> {
    fn calls_to(&self, function: &str) -> Vec<Value> {
        let calls = self.calls.lock().unwrap();
        calls
            .iter()
            .filter(|(name, _)| name == function)
            .map(|(_, payload)| payload.clone())
            .collect()
    }

    fn syncs_of(&self, tenant: &str) -> usize {
        self.calls_to(SYNC)
            .iter()
            .filter(|payload| payload["tenant"] == tenant)
            .count()
    }

    fn peak(&self) -> usize {
        self.peak.load(Ordering::SeqCst)
    }
}

impl<F> Invoker for Functions<F>
where
    F: Fn(&str, &Value, usize) -> Answer + Send + Sync,
{
    fn invoke<'a>(&'a self, function: &'a str, payload: Value) -> BoxFuture<'a, Answer> {
        Box::pin(async move {
            let attempt = {
                let mut calls = self.calls.lock().unwrap();
                calls.push((function.to_string(), payload.clone()));
                calls
                    .iter()
                    .filter(|call| call.0 == function && call.1 == payload)
                    .count()
            };
            let running = self.running.fetch_add(1, Ordering::SeqCst) + 1;
            self.peak.fetch_max(running, Ordering::SeqCst);
            tokio::time::sleep(self.delay).await;
            self.running.fetch_sub(1, Ordering::SeqCst);
            (self.answer)(function, &payload, attempt)
        })
    }
}

/// audit-subscription's reply to `list_tenants`.
fn tenant_list(tenants: &[&str]) -> Value {
    let tenants: Vec<Value> = tenants
        .iter()
        .map(|tenant| {
            json!({
                "tenant_id": tenant,
                "client_id": format!("client-of-{tenant}"),
                "cloud": "commercial",
                "credential": "secret",
                "source": "registry",
            })
        })
        .collect();
    json!({ "operation": "list_tenants", "tenants": tenants })
}

/// audit-sync's run summary of a tenant (the fields the round relies on, and a few more).
/// What the round keeps of a summary: its headline counts.
fn headline(tenant: &str) -> Value {
    let mut kept = summary(tenant);
    let kept = kept.as_object_mut().unwrap();
    for field in ["tenant", "run_id", "mode"] {
        kept.remove(field);
    }
    Value::Object(kept.clone())
}

fn summary(tenant: &str) -> Value {
    json!({
        "tenant": tenant, "run_id": format!("run-{tenant}"), "mode": "scheduled",
        "events_new": 3, "complete": true, "blobs_failed": 0, "blobs_lost": 0,
        "errors_total": 0, "lag_seconds": 42
    })
}

/// The two functions of a round: the listing of `tenants`, and `sync(tenant, attempt)`.
fn round<S>(tenants: &[&str], sync: S) -> impl Fn(&str, &Value, usize) -> Answer + Send + Sync
where
    S: Fn(&str, usize) -> Answer + Send + Sync,
{
    let listing = tenant_list(tenants);
    move |function, payload, attempt| match function {
        SUBSCRIPTION => {
            assert_eq!(payload, &json!({"operation": "list_tenants"}));
            Ok(listing.clone())
        }
        SYNC => {
            let keys: Vec<&String> = payload.as_object().expect("an object").keys().collect();
            assert_eq!(
                keys,
                ["tenant"],
                "audit-sync gets just the tenant: {payload}"
            );
            sync(payload["tenant"].as_str().expect("a tenant id"), attempt)
        }
        other => panic!("the definition invoked an unknown function {other}"),
    }
}

fn fine(tenant: &str, _attempt: usize) -> Answer {
    Ok(summary(tenant))
}

async fn run_round<F>(functions: &Functions<F>, input: Value) -> Result<Value, ExecutionError>
where
    F: Fn(&str, &Value, usize) -> Answer + Send + Sync,
{
    execute(round_definition(), input, functions, TIME_SCALE).await
}

fn tenants(count: usize) -> Vec<String> {
    (0..count)
        .map(|n| format!("{n:08x}-0000-4000-8000-000000000000"))
        .collect()
}

// ---------------------------------------------------------------- the template's definition

#[test]
fn every_placeholder_is_one_the_template_substitutes() {
    let machine = template_state_machine();
    assert_eq!(machine.logical_id, "SyncRoundStateMachine");
    // Both ways: a placeholder without a value would reach Step Functions as text, and a
    // substitution nothing uses is a leftover.
    assert_eq!(placeholders(&machine.definition), machine.substitutions);
    let names: Vec<&str> = machine.substitutions.iter().map(String::as_str).collect();
    assert_eq!(names, ["SubscriptionFunctionArn", "SyncFunctionArn"]);
}

#[test]
fn the_interpreter_knows_everything_the_definition_uses() {
    if let Err(problems) = validate(round_definition()) {
        panic!("the round's definition uses what the interpreter does not know:\n{problems}");
    }
}

#[test]
fn a_round_started_by_hand_defaults_to_the_templates_concurrency() {
    let output = std::process::Command::new(venv_tool("python"))
        .current_dir(repo_root().join("scripts"))
        .args(["-c", "import tables; print(tables.load_template()['Parameters']['TenantConcurrency']['Default'])"])
        .output()
        .expect("python runs");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let parameter: u64 = String::from_utf8_lossy(&output.stdout)
        .trim()
        .parse()
        .unwrap();
    let default = &round_definition()["States"]["DefaultConcurrency"]["Result"];
    assert_eq!(
        default,
        &json!(parameter),
        "DefaultConcurrency's Result is TenantConcurrency's default"
    );
}

// ---------------------------------------------------------------- a round

#[tokio::test]
async fn one_tenants_failure_never_fails_the_others() {
    let functions = answering(round(
        &[AUTH_FAILS, LOCKED_ONCE, FINE],
        |tenant, attempt| match tenant {
            AUTH_FAILS => Err(InvokeError::function(
                "AuthError",
                "Entra refused the client secret (AADSTS7000215)",
            )),
            LOCKED_ONCE if attempt == 1 => Err(InvokeError::function(
                "LockedError",
                "another run holds the lock",
            )),
            _ => Ok(summary(tenant)),
        },
    ));
    let started = Instant::now();
    let output = run_round(&functions, json!({"max_concurrency": 4}))
        .await
        .expect("the round succeeds");

    let entries = output.as_array().expect("one entry per tenant");
    assert_eq!(entries.len(), 3, "{output:#}");
    assert_eq!(entries[0]["tenant"], AUTH_FAILS);
    assert_eq!(entries[0]["error"]["Error"], "AuthError");
    let cause: Value =
        serde_json::from_str(entries[0]["error"]["Cause"].as_str().expect("a string"))
            .expect("the cause is the function's error JSON");
    assert_eq!(
        cause,
        json!({"errorType": "AuthError", "errorMessage": "Entra refused the client secret (AADSTS7000215)"})
    );
    assert_eq!(
        entries[0].as_object().unwrap().len(),
        2,
        "tenant and error only: {}",
        entries[0]
    );
    assert_eq!(
        entries[1],
        json!({"tenant": LOCKED_ONCE, "summary": headline(LOCKED_ONCE)})
    );
    assert_eq!(
        entries[2],
        json!({"tenant": FINE, "summary": headline(FINE)})
    );

    assert_eq!(
        functions.syncs_of(AUTH_FAILS),
        1,
        "an AuthError is not retried"
    );
    assert_eq!(
        functions.syncs_of(LOCKED_ONCE),
        2,
        "a LockedError is retried"
    );
    assert_eq!(functions.syncs_of(FINE), 1);
    assert_eq!(functions.calls_to(SUBSCRIPTION).len(), 1);
    // The LockedError retry waits its interval (60 s, scaled).
    assert!(
        started.elapsed() >= Duration::from_millis(60),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn a_round_runs_at_most_max_concurrency_syncs_at_once() {
    let ids = tenants(9);
    let listed: Vec<&str> = ids.iter().map(String::as_str).collect();
    let mut functions = answering(round(&listed, fine));
    functions.delay = Duration::from_millis(30);
    let output = run_round(&functions, json!({"max_concurrency": 3}))
        .await
        .unwrap();

    assert_eq!(functions.peak(), 3, "three at once, no more and no fewer");
    let synced: Vec<&Value> = output
        .as_array()
        .unwrap()
        .iter()
        .map(|entry| &entry["tenant"])
        .collect();
    assert_eq!(synced, listed, "the output follows the listing's order");
}

#[tokio::test]
async fn a_round_without_a_usable_max_concurrency_runs_four_at_once() {
    let ids = tenants(9);
    let listed: Vec<&str> = ids.iter().map(String::as_str).collect();
    for input in [json!({}), json!({"max_concurrency": "lots"})] {
        let mut functions = answering(round(&listed, fine));
        functions.delay = Duration::from_millis(30);
        let output = run_round(&functions, input.clone()).await.unwrap();
        assert_eq!(functions.peak(), 4, "input {input}");
        assert_eq!(output.as_array().unwrap().len(), 9);
    }
}

#[tokio::test]
async fn listing_retries_lambdas_transient_errors() {
    let functions =
        answering(
            |function: &str, _payload: &Value, attempt| match (function, attempt) {
                (SUBSCRIPTION, 1) => Err(InvokeError::service(
                    "Lambda.ServiceException",
                    "Lambda had a bad moment",
                )),
                (SUBSCRIPTION, 2) => Err(InvokeError::service(
                    "Lambda.TooManyRequestsException",
                    "Rate Exceeded.",
                )),
                (SUBSCRIPTION, _) => Ok(tenant_list(&[FINE])),
                _ => Ok(summary(FINE)),
            },
        );
    let started = Instant::now();
    let output = run_round(&functions, json!({"max_concurrency": 4}))
        .await
        .unwrap();
    assert_eq!(output, json!([{"tenant": FINE, "summary": headline(FINE)}]));
    assert_eq!(functions.calls_to(SUBSCRIPTION).len(), 3);
    // 2 s, then 4 s (BackoffRate 2), scaled.
    assert!(
        started.elapsed() >= Duration::from_millis(6),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn a_failed_listing_fails_the_round() {
    let functions = answering(
        |function: &str, _payload: &Value, _attempt| match function {
            SUBSCRIPTION => Err(InvokeError::function(
                "StoreError",
                "the state table is unreachable",
            )),
            other => panic!("nothing but the listing may run, not {other}"),
        },
    );
    let Err(ExecutionError::Failed { error, cause }) =
        run_round(&functions, json!({"max_concurrency": 4})).await
    else {
        panic!("the round fails");
    };
    assert_eq!(error, "StoreError");
    assert!(cause.contains("the state table is unreachable"), "{cause}");
    assert_eq!(
        functions.calls_to(SUBSCRIPTION).len(),
        1,
        "a function error is not retried"
    );
}

#[tokio::test]
async fn throttled_syncs_wait_for_a_slot() {
    let functions = answering(round(&[FINE], |tenant, attempt| match attempt {
        1 | 2 => Err(InvokeError::service(
            "Lambda.TooManyRequestsException",
            "Rate Exceeded.",
        )),
        _ => Ok(summary(tenant)),
    }));
    let started = Instant::now();
    let output = run_round(&functions, json!({"max_concurrency": 4}))
        .await
        .unwrap();
    assert_eq!(output, json!([{"tenant": FINE, "summary": headline(FINE)}]));
    assert_eq!(functions.syncs_of(FINE), 3);
    // 30 s, then 60 s, scaled.
    assert!(
        started.elapsed() >= Duration::from_millis(90),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn a_tenant_locked_past_every_retry_is_recorded_as_failed() {
    let functions = answering(round(
        &[LOCKED_ONCE, FINE],
        |tenant, _attempt| match tenant {
            LOCKED_ONCE => Err(InvokeError::function(
                "LockedError",
                "another run holds the lock",
            )),
            _ => Ok(summary(tenant)),
        },
    ));
    let started = Instant::now();
    let output = run_round(&functions, json!({"max_concurrency": 4}))
        .await
        .unwrap();
    assert_eq!(output[0]["error"]["Error"], "LockedError");
    assert_eq!(
        output[1],
        json!({"tenant": FINE, "summary": headline(FINE)})
    );
    assert_eq!(
        functions.syncs_of(LOCKED_ONCE),
        5,
        "the first run and four retries"
    );
    // 1, 2, 4 and 8 minutes, scaled.
    assert!(
        started.elapsed() >= Duration::from_millis(900),
        "{:?}",
        started.elapsed()
    );
}

/// The contract the definition relies on: a summary names its tenant and a listed tenant has a
/// `tenant_id`. A path that names nothing is `States.Runtime`, which no Catch takes.
#[tokio::test]
async fn a_reply_missing_what_the_definition_reads_fails_the_whole_round() {
    let functions = answering(round(&[FINE], |_tenant, _attempt| {
        Ok(json!({"run_id": "r"}))
    }));
    let Err(ExecutionError::Failed { error, cause }) =
        run_round(&functions, json!({"max_concurrency": 4})).await
    else {
        panic!("the round fails");
    };
    assert_eq!(error, "States.Runtime");
    assert!(
        cause.contains("$.Payload.") && cause.contains("could not be found"),
        "{cause}"
    );

    let functions = answering(
        |function: &str, _payload: &Value, _attempt| match function {
            SUBSCRIPTION => Ok(json!({"operation": "list_tenants", "tenants": [{"id": FINE}]})),
            other => panic!("no sync may run, not {other}"),
        },
    );
    let Err(ExecutionError::Failed { error, cause }) =
        run_round(&functions, json!({"max_concurrency": 4})).await
    else {
        panic!("the round fails");
    };
    assert_eq!(error, "States.Runtime");
    assert!(cause.contains("$$.Map.Item.Value.tenant_id"), "{cause}");
}

#[tokio::test]
async fn a_round_of_no_tenants_succeeds_with_no_entries() {
    let functions = answering(round(&[], fine));
    assert_eq!(
        run_round(&functions, json!({"max_concurrency": 4}))
            .await
            .unwrap(),
        json!([])
    );
}

// ---------------------------------------------------------------- the interpreter itself

/// A definition of one task state, `task` merged into `{"Type": "Task", ...}`.
fn one_task(task: Value) -> Value {
    let mut state = json!({
        "Type": "Task",
        "Resource": "arn:aws:states:::lambda:invoke",
        "Parameters": {"FunctionName": "f", "Payload.$": "$"},
        "End": true,
    });
    for (key, value) in task.as_object().unwrap() {
        state[key] = value.clone();
    }
    json!({"StartAt": "T", "States": {"T": state, "Done": {"Type": "Succeed"}}})
}

fn no_function(function: &str, _payload: &Value, _attempt: usize) -> Answer {
    panic!("nothing may be invoked, not {function}");
}

async fn unsupported(definition: Value) -> String {
    match execute(&definition, json!({}), &answering(no_function), TIME_SCALE).await {
        Err(ExecutionError::Unsupported(problems)) => problems,
        other => panic!("{definition} ran: {other:?}"),
    }
}

#[tokio::test]
async fn what_the_interpreter_does_not_implement_is_refused_before_anything_runs() {
    let map = |extra: Value| {
        let mut state = json!({
            "Type": "Map",
            "ItemProcessor": {"StartAt": "P", "States": {"P": {"Type": "Pass", "End": true}}},
            "End": true,
        });
        for (key, value) in extra.as_object().unwrap() {
            state[key] = value.clone();
        }
        json!({"StartAt": "M", "States": {"M": state}})
    };
    let cases = [
        (
            one_task(json!({"TimeoutSeconds": 60})),
            "field TimeoutSeconds is not supported",
        ),
        (
            one_task(json!({"Resource": "arn:aws:states:::lambda:invoke.waitForTaskToken"})),
            "Resource",
        ),
        (
            one_task(
                json!({"Parameters": {"FunctionName": "f", "Payload": {}, "Qualifier": "live"}}),
            ),
            "Qualifier",
        ),
        (
            one_task(json!({"Parameters": {"FunctionName": "${SyncFunctionArn}", "Payload": {}}})),
            "unsubstituted placeholder",
        ),
        (
            one_task(
                json!({"Parameters": {"FunctionName": "f", "Payload": {"x.$": "States.Format('{}', $.a)"}}}),
            ),
            "intrinsic functions",
        ),
        (
            one_task(
                json!({"Parameters": {"FunctionName": "f", "Payload": {"x.$": "$$.State.Name"}}}),
            ),
            "$$.State.Name",
        ),
        (
            one_task(
                json!({"Parameters": {"FunctionName": "f", "Payload": {"x.$": "$$.Map.Item.Value"}}}),
            ),
            "$$.Map.Item.Value",
        ),
        (
            one_task(
                json!({"Parameters": {"FunctionName": "f", "Payload": {"x.$": "$.items[?(@.on)]"}}}),
            ),
            "steps are supported",
        ),
        (
            one_task(json!({"Retry": [{"ErrorEquals": ["X"], "JitterStrategy": "FULL"}]})),
            "JitterStrategy",
        ),
        (
            one_task(json!({"Retry": [{"ErrorEquals": ["States.ALL"]}, {"ErrorEquals": ["X"]}]})),
            "States.ALL must be alone",
        ),
        (
            one_task(json!({"Catch": [{"ErrorEquals": ["X"], "Next": "Nowhere"}]})),
            "names no state",
        ),
        (one_task(json!({"Next": "Done"})), "exactly one of Next"),
        (
            one_task(json!({"ResultPath": "$.a[0]"})),
            "field steps only",
        ),
        (
            map(json!({"ToleratedFailureCount": 1})),
            "ToleratedFailureCount",
        ),
        (
            map(
                json!({"ItemProcessor": {"ProcessorConfig": {"Mode": "DISTRIBUTED"}, "StartAt": "P", "States": {"P": {"Type": "Pass", "End": true}}}}),
            ),
            "DISTRIBUTED",
        ),
        (
            map(json!({"MaxConcurrency": 2, "MaxConcurrencyPath": "$.n"})),
            "exclusive",
        ),
        (
            json!({"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 1, "End": true}}}),
            "\"Wait\" is not supported",
        ),
        (
            json!({"StartAt": "C", "States": {"C": {"Type": "Choice", "Choices": [{"Variable": "$.a", "StringMatches": "x*", "Next": "C"}]}}}),
            "StringMatches",
        ),
        (
            json!({"StartAt": "P", "QueryLanguage": "JSONata", "States": {"P": {"Type": "Pass", "End": true}}}),
            "JSONata",
        ),
    ];
    for (definition, expected) in cases {
        let problems = unsupported(definition.clone()).await;
        assert!(
            problems.contains(expected),
            "{definition}\nwas refused for:\n{problems}\nexpected: {expected}"
        );
    }
}

#[tokio::test]
async fn input_and_output_processing_follow_the_language() {
    let definition = json!({
        "StartAt": "Pick",
        "States": {
            "Pick": {
                "Type": "Pass",
                "InputPath": "$.a",
                "Parameters": {"copied.$": "$.b", "fixed": [1, {"nested.$": "$.b"}], "input.$": "$$.Execution.Input.a"},
                "ResultPath": "$.made.here",
                "Next": "Ignore",
            },
            "Ignore": {"Type": "Pass", "Result": "dropped", "ResultPath": null, "Next": "Out"},
            "Out": {"Type": "Pass", "OutputPath": "$.made", "End": true},
        },
    });
    let output = execute(
        &definition,
        json!({"a": {"b": 2}}),
        &answering(no_function),
        TIME_SCALE,
    )
    .await
    .unwrap();
    assert_eq!(
        output,
        json!({"here": {"copied": 2, "fixed": [1, {"nested": 2}], "input": {"b": 2}}})
    );
}

#[tokio::test]
async fn a_task_gets_the_lambda_integrations_result_shape() {
    let definition = one_task(
        json!({"Parameters": {"FunctionName": "f", "Payload": {"fixed": true}}, "ResultPath": "$.result"}),
    );
    let functions =
        answering(|_function: &str, payload: &Value, _attempt| Ok(json!({"echo": payload})));
    let output = execute(&definition, json!({"kept": 1}), &functions, TIME_SCALE)
        .await
        .unwrap();
    assert_eq!(
        output,
        json!({"kept": 1, "result": {"ExecutedVersion": "$LATEST", "Payload": {"echo": {"fixed": true}}, "StatusCode": 200}})
    );
}

#[tokio::test]
async fn a_path_that_names_nothing_ends_the_execution_whatever_catch_says() {
    let definition = one_task(json!({
        "Parameters": {"FunctionName": "f", "Payload": {"x.$": "$.missing"}},
        "Retry": [{"ErrorEquals": ["States.ALL"]}],
        "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Done"}],
    }));
    let result = execute(&definition, json!({}), &answering(no_function), TIME_SCALE).await;
    let Err(ExecutionError::Failed { error, .. }) = result else {
        panic!("{result:?}")
    };
    assert_eq!(error, "States.Runtime");
}

#[tokio::test]
async fn retries_wait_interval_times_backoff_until_max_attempts() {
    let definition = one_task(
        json!({"Retry": [{"ErrorEquals": ["Boom"], "IntervalSeconds": 1, "MaxAttempts": 3, "BackoffRate": 2}]}),
    );
    let functions = answering(|_function: &str, _payload: &Value, _attempt| {
        Err(InvokeError::function("Boom", "always"))
    });
    let started = Instant::now();
    let result = execute(&definition, json!({}), &functions, 0.01).await;
    let Err(ExecutionError::Failed { error, .. }) = result else {
        panic!("{result:?}")
    };
    assert_eq!(error, "Boom");
    assert_eq!(
        functions.calls_to("f").len(),
        4,
        "the first attempt and three retries"
    );
    // 1 + 2 + 4 seconds at 10 ms each.
    assert!(
        started.elapsed() >= Duration::from_millis(70),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn only_the_first_matching_retrier_counts() {
    let definition = one_task(json!({"Retry": [
        {"ErrorEquals": ["Boom"], "IntervalSeconds": 1, "MaxAttempts": 1},
        {"ErrorEquals": ["States.ALL"], "IntervalSeconds": 1, "MaxAttempts": 5},
    ]}));
    let functions = answering(|_function: &str, _payload: &Value, _attempt| {
        Err(InvokeError::function("Boom", "always"))
    });
    assert!(
        execute(&definition, json!({}), &functions, TIME_SCALE)
            .await
            .is_err()
    );
    assert_eq!(functions.calls_to("f").len(), 2);
}

#[tokio::test]
async fn a_catch_without_result_path_passes_just_the_error_on() {
    let definition =
        one_task(json!({"Catch": [{"ErrorEquals": ["States.TaskFailed"], "Next": "Done"}]}));
    let functions = answering(|_function: &str, _payload: &Value, _attempt| {
        Err(InvokeError::function("Boom", "why"))
    });
    let output = execute(&definition, json!({"lost": true}), &functions, TIME_SCALE)
        .await
        .unwrap();
    assert_eq!(output["Error"], "Boom");
    let cause: Value = serde_json::from_str(output["Cause"].as_str().unwrap()).unwrap();
    assert_eq!(cause, json!({"errorType": "Boom", "errorMessage": "why"}));
    assert_eq!(output.as_object().unwrap().len(), 2);
}

#[tokio::test]
async fn a_failed_iteration_fails_the_map_and_the_maps_catch_takes_it() {
    let definition = json!({
        "StartAt": "Each",
        "States": {
            "Each": {
                "Type": "Map",
                "ItemsPath": "$.items",
                "ItemSelector": {"n.$": "$$.Map.Item.Value", "at.$": "$$.Map.Item.Index"},
                "MaxConcurrency": 1,
                "Iterator": {"StartAt": "T", "States": {"T": {
                    "Type": "Task",
                    "Resource": "arn:aws:states:::lambda:invoke",
                    "Parameters": {"FunctionName": "f", "Payload.$": "$"},
                    "End": true,
                }}},
                "Catch": [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.failure", "Next": "Done"}],
                "End": true,
            },
            "Done": {"Type": "Succeed"},
        },
    });
    let functions =
        answering(
            |_function: &str, payload: &Value, _attempt| match payload["n"].as_u64() {
                Some(2) => Err(InvokeError::function("Boom", "two")),
                _ => Ok(payload.clone()),
            },
        );
    let output = execute(
        &definition,
        json!({"items": [1, 2, 3]}),
        &functions,
        TIME_SCALE,
    )
    .await
    .unwrap();
    assert_eq!(output["items"], json!([1, 2, 3]));
    assert_eq!(output["failure"]["Error"], "Boom");
    // One at a time: the third item never started.
    assert_eq!(
        functions.calls_to("f"),
        [json!({"n": 1, "at": 0}), json!({"n": 2, "at": 1})]
    );
}

#[tokio::test]
async fn an_execution_past_its_timeout_times_out() {
    let mut definition = one_task(json!({}));
    definition["TimeoutSeconds"] = json!(1);
    let mut functions = answering(|_function: &str, _payload: &Value, _attempt| Ok(json!({})));
    functions.delay = Duration::from_millis(200);
    let result = execute(&definition, json!({}), &functions, 0.01).await;
    let Err(ExecutionError::Failed { error, .. }) = result else {
        panic!("{result:?}")
    };
    assert_eq!(error, "States.Timeout");
}
