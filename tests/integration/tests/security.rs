//! Secrets and hostile input: a full local cycle at trace level leaks neither the client secret
//! nor any access token, and every handler answers bad events with a clear error.

mod common;

use common::{Fixture, small_tenant};
use integration_tests::{invoke, with_vars, without_vars};
use serde_json::{Value, json};

#[tokio::test]
async fn a_full_cycle_at_trace_level_leaks_no_secret_and_no_token() {
    let fx = Fixture::new(small_tenant()).await;
    let secret = fx.tenant.client_secret().to_string();
    let arn = fx
        .moto
        .create_secret(
            "audit/leak-check",
            &json!({"client_secret": secret}).to_string(),
        )
        .await;
    let env = with_vars(
        without_vars(fx.env.clone(), &["AUDIT_LOGS_CLIENT_SECRET"]),
        &[
            ("AUDIT_LOGS_CLIENT_SECRET_ARN", arn.as_str()),
            ("RUST_LOG", "trace"),
        ],
    );

    let mut outputs = Vec::new();
    for (function, event) in [
        ("audit-subscription", json!({"operation": "list"})),
        ("audit-sync", json!({})),
        ("audit-report", json!({})),
        ("audit-subscription", json!({"operation": "bogus"})),
    ] {
        let run = invoke(function, &env, &event).await;
        if event["operation"] != "bogus" {
            assert!(
                run.stderr.len() > 10_000,
                "{function} logged at trace level"
            );
        }
        outputs.push((function, run.stdout, run.stderr));
    }
    // A wrong secret's error path too.
    let wrong = "Wr0ng~Secret.Value-xyz";
    let bad_env = with_vars(
        fx.env.clone(),
        &[("AUDIT_LOGS_CLIENT_SECRET", wrong), ("RUST_LOG", "trace")],
    );
    let run = invoke(
        "audit-subscription",
        &bad_env,
        &json!({"operation": "start"}),
    )
    .await;
    outputs.push(("audit-subscription (wrong secret)", run.stdout, run.stderr));

    let tokens = fx.tenant.issued_tokens();
    assert!(tokens.len() >= 2, "tokens were issued: {tokens:?}");
    for (function, stdout, stderr) in &outputs {
        for text in [stdout, stderr] {
            assert!(
                !text.contains(&secret),
                "{function} leaked the client secret"
            );
            assert!(!text.contains(wrong), "{function} leaked the wrong secret");
            for token in &tokens {
                assert!(
                    !text.contains(token.as_str()),
                    "{function} leaked an access token"
                );
            }
        }
    }
}

#[tokio::test]
async fn every_handler_refuses_bad_events_clearly() {
    let fx = Fixture::new(small_tenant()).await;
    let huge = Value::String("x".repeat(2 * 1024 * 1024));
    let cases: Vec<(&str, Value, &str)> = vec![
        (
            "audit-subscription",
            json!({"operation": "start", "extra": 1}),
            "unknown field",
        ),
        (
            "audit-subscription",
            json!({"operation": ["start"]}),
            "must be a string",
        ),
        ("audit-subscription", json!(42), "invalid event"),
        (
            "audit-subscription",
            json!({"operation": "start", "content_types": "Audit.General"}),
            "invalid event",
        ),
        ("audit-subscription", huge.clone(), "larger than"),
        ("audit-sync", json!({"start": 5, "end": 6}), "invalid event"),
        ("audit-sync", json!({"window": "1h"}), "unknown field"),
        ("audit-sync", json!({"start": "2026-11-24"}), "both"),
        ("audit-sync", huge.clone(), "larger than"),
        ("audit-report", json!({"from": 20261101}), "invalid event"),
        ("audit-report", json!({"app": "x"}), "unknown field"),
        ("audit-report", json!({"by_day": 1}), "invalid event"),
        ("audit-report", huge, "larger than"),
    ];
    for (function, event, words) in cases {
        let run = invoke(function, &fx.env, &event).await;
        assert_eq!(
            run.error_type(),
            "InputError",
            "{function} {:.80}",
            event.to_string()
        );
        assert!(
            run.error_message().contains(words),
            "{function}: {:.80} -> {}",
            event.to_string(),
            run.error_message()
        );
    }
}
