//! `audit-subscription` end to end: the binary, the emulated tenant over HTTP, and moto's
//! Secrets Manager over HTTP.

use integration_tests::{Moto, invoke, tenant_env, with_vars, without_vars};
use o365_emulator::{ContentType, Emulator, EmulatorConfig, FaultKind, FaultRule};
use serde_json::json;

const FUNCTION: &str = "audit-subscription";

async fn emulator() -> Emulator {
    Emulator::start(EmulatorConfig::default())
        .await
        .expect("the emulator starts")
}

#[tokio::test]
async fn start_list_stop_with_already_enabled_as_success() {
    let tenant = emulator().await;
    let env = tenant_env(&tenant);

    let first = invoke(FUNCTION, &env, &json!({"operation": "start"})).await;
    assert_eq!(
        first.ok(),
        &json!({"operation": "start", "tenant": tenant.tenant_id(), "all_enabled": true, "results": [
            {"content_type": "Audit.General", "status": "enabled", "already_enabled": false}
        ]})
    );
    // AF20024 from the API: reported as success.
    let again = invoke(FUNCTION, &env, &json!({"operation": "Start"})).await;
    assert_eq!(again.ok()["results"][0]["already_enabled"], json!(true));
    assert_eq!(again.reply["results"][0]["status"], "enabled");

    let list = invoke(FUNCTION, &env, &json!({"operation": "list"})).await;
    assert_eq!(list.ok()["all_enabled"], json!(true));
    assert_eq!(list.reply["results"][0]["content_type"], "Audit.General");
    assert_eq!(list.reply["results"][0]["status"], "enabled");

    let stop = invoke(FUNCTION, &env, &json!({"operation": "STOP"})).await;
    assert_eq!(stop.ok()["results"][0]["status"], "stopped");
    let list = invoke(FUNCTION, &env, &json!({"operation": "list"})).await;
    assert_eq!(list.ok()["all_enabled"], json!(false));
    assert_ne!(list.reply["results"][0]["status"], "enabled");

    // Every API call named the publisher, so the tenant's own quota is used.
    let stats = tenant.stats();
    assert_eq!(stats.publisher_identifier.missing, 0, "{stats:?}");
    assert!(stats.publisher_identifier.present >= 5);
}

#[tokio::test]
async fn several_content_types_and_the_real_status_in_list() {
    let tenant = emulator().await;
    let env = with_vars(
        tenant_env(&tenant),
        &[("AUDIT_LOGS_CONTENT_TYPES", "Audit.General,Audit.SharePoint")],
    );
    let start = invoke(FUNCTION, &env, &json!({"operation": "start"})).await;
    assert_eq!(start.ok()["results"].as_array().unwrap().len(), 2);

    tenant.disable_subscription(ContentType::SharePoint);
    let list = invoke(FUNCTION, &env, &json!({"operation": "list"})).await;
    let results = list.ok()["results"].as_array().unwrap();
    let status = |ct: &str| {
        results
            .iter()
            .find(|r| r["content_type"] == ct)
            .map(|r| r["status"].as_str().unwrap().to_string())
    };
    assert_eq!(status("Audit.General").as_deref(), Some("enabled"));
    assert_eq!(status("Audit.SharePoint").as_deref(), Some("disabled"));
    assert_eq!(list.reply["all_enabled"], json!(false));

    // The event may narrow the content types.
    let only = invoke(
        FUNCTION,
        &env,
        &json!({"operation": "list", "content_types": ["audit.general"]}),
    )
    .await;
    assert_eq!(only.ok()["all_enabled"], json!(true));
}

#[tokio::test]
async fn secret_from_secrets_manager_as_plain_string_and_as_json() {
    let moto = Moto::start().await;
    let tenant = emulator().await;
    let plain_arn = moto
        .create_secret("audit/plain", tenant.client_secret())
        .await;
    let json_arn = moto
        .create_secret(
            "audit/json",
            &json!({"client_secret": tenant.client_secret()}).to_string(),
        )
        .await;
    for secret_id in [plain_arn.as_str(), json_arn.as_str(), "audit/plain"] {
        let mut env = without_vars(tenant_env(&tenant), &["AUDIT_LOGS_CLIENT_SECRET"]);
        env.extend(moto.env());
        let env = with_vars(env, &[("AUDIT_LOGS_CLIENT_SECRET_ARN", secret_id)]);
        let run = invoke(FUNCTION, &env, &json!({"operation": "start"})).await;
        assert_eq!(run.ok()["results"][0]["status"], "enabled", "{secret_id}");
    }
}

#[tokio::test]
async fn a_missing_or_wrong_secret_is_named_and_never_shown() {
    let moto = Moto::start().await;
    let tenant = emulator().await;

    let mut env = without_vars(tenant_env(&tenant), &["AUDIT_LOGS_CLIENT_SECRET"]);
    env.extend(moto.env());
    let missing = invoke(
        FUNCTION,
        &with_vars(
            env.clone(),
            &[("AUDIT_LOGS_CLIENT_SECRET_ARN", "audit/does-not-exist")],
        ),
        &json!({"operation": "start"}),
    )
    .await;
    assert_eq!(missing.error_type(), "SecretError");
    assert!(
        missing.error_message().contains("audit/does-not-exist")
            && missing.error_message().contains("does not exist")
    );

    let neither = invoke(FUNCTION, &env, &json!({"operation": "start"})).await;
    assert_eq!(neither.error_type(), "ConfigError");
    assert!(
        neither
            .error_message()
            .contains("AUDIT_LOGS_CLIENT_SECRET_ARN")
    );
    assert!(neither.error_message().contains("AUDIT_LOGS_CLIENT_SECRET"));

    let wrong_value = "Wr0ng~Secret.Value-123";
    moto.create_secret("audit/wrong", wrong_value).await;
    let wrong = invoke(
        FUNCTION,
        &with_vars(env, &[("AUDIT_LOGS_CLIENT_SECRET_ARN", "audit/wrong")]),
        &json!({"operation": "start"}),
    )
    .await;
    assert_eq!(wrong.error_type(), "AuthError");
    let message = wrong.error_message();
    assert!(
        message.contains("AADSTS7000215") && message.contains("client secret is wrong"),
        "{message}"
    );
    for text in [&wrong.stdout, &wrong.stderr] {
        assert!(!text.contains(wrong_value), "the secret leaked:\n{text}");
    }
}

#[tokio::test]
async fn v1_and_v2_tokens_work_and_an_expired_token_is_renewed() {
    let tenant = emulator().await;
    for version in ["v1", "v2"] {
        let env = with_vars(
            tenant_env(&tenant),
            &[("AUDIT_LOGS_TOKEN_VERSION", version)],
        );
        let run = invoke(FUNCTION, &env, &json!({"operation": "list"})).await;
        run.ok();
    }
    let route = |name: &str| {
        tenant
            .stats()
            .requests_by_route
            .get(name)
            .copied()
            .unwrap_or(0)
    };
    assert_eq!((route("token_v1"), route("token_v2")), (1, 1));

    // The token lapses between start's two content types: one renewal, no failure.
    tenant.inject(FaultRule::new("/subscriptions/start", FaultKind::ExpireTokens).skip(1));
    let env = with_vars(
        tenant_env(&tenant),
        &[("AUDIT_LOGS_CONTENT_TYPES", "Audit.General,Audit.Exchange")],
    );
    let run = invoke(FUNCTION, &env, &json!({"operation": "start"})).await;
    assert_eq!(run.ok()["all_enabled"], json!(true));
    assert_eq!(route("token_v1"), 3, "one token at the start, one renewal");
    assert_eq!(tenant.stats().faults_by_kind.get("expire_tokens"), Some(&1));
}

#[tokio::test]
async fn every_transient_fault_is_retried_until_success() {
    let tenant = emulator().await;
    let env = tenant_env(&tenant);
    let faults = [
        FaultKind::Throttle429,
        FaultKind::Throttle403,
        FaultKind::Server500,
        FaultKind::Unavailable503,
        FaultKind::Timeout408,
        FaultKind::Cut { after_bytes: 5 },
        FaultKind::RetryAfter { seconds: 1 },
    ];
    for fault in faults {
        let name = fault.name();
        tenant.inject(FaultRule::new("/subscriptions/list", fault).times(2));
        let run = invoke(FUNCTION, &env, &json!({"operation": "list"})).await;
        run.ok();
        assert_eq!(tenant.stats().faults_by_kind.get(name), Some(&2), "{name}");
        assert!(
            run.stderr.contains("retrying"),
            "{name}: the retries are logged"
        );
    }
}

#[tokio::test]
async fn throttling_that_never_ends_gives_a_clear_error() {
    let tenant = emulator().await;
    let env = with_vars(tenant_env(&tenant), &[("AUDIT_LOGS_MAX_RETRIES", "3")]);
    tenant.inject(FaultRule::new("/subscriptions/start", FaultKind::Throttle403).times(100));
    let run = invoke(FUNCTION, &env, &json!({"operation": "start"})).await;
    assert_eq!(run.error_type(), "ApiError");
    let message = run.error_message();
    assert!(
        message.contains("after 4 attempts")
            && message.contains("AF429")
            && message.contains("throttled"),
        "{message}"
    );
    assert_eq!(tenant.stats().faults_by_kind.get("throttle_403"), Some(&4));
}

#[tokio::test]
async fn configuration_and_permission_errors_say_what_to_fix() {
    let tenant = emulator().await;
    let env = tenant_env(&tenant);

    tenant.set_permission(false);
    let run = invoke(FUNCTION, &env, &json!({"operation": "start"})).await;
    assert!(
        run.error_message().contains("AF10001")
            && run.error_message().contains("ActivityFeed.Read")
    );
    tenant.set_permission(true);

    tenant.set_audit_log_enabled(false);
    let run = invoke(FUNCTION, &env, &json!({"operation": "start"})).await;
    assert!(
        run.error_message().contains("AF20012") && run.error_message().contains("audit logging")
    );
    tenant.set_audit_log_enabled(true);

    let bad_tenant = with_vars(
        env.clone(),
        &[("AUDIT_LOGS_TENANT_ID", "contoso.onmicrosoft.com")],
    );
    let run = invoke(FUNCTION, &bad_tenant, &json!({"operation": "start"})).await;
    assert_eq!(run.error_type(), "ConfigError");
    assert!(run.error_message().contains("AUDIT_LOGS_TENANT_ID"));

    let not_loopback = with_vars(
        env.clone(),
        &[("AUDIT_LOGS_AUDIENCE", "http://manage.example.com")],
    );
    let run = invoke(FUNCTION, &not_loopback, &json!({"operation": "start"})).await;
    assert!(
        run.error_message().contains("AUDIT_LOGS_AUDIENCE")
            && run.error_message().contains("loopback")
    );

    // A bad event is refused before anything is sent.
    let before = tenant.stats().requests_total;
    let run = invoke(FUNCTION, &env, &json!({"operation": "restart"})).await;
    assert_eq!(run.error_type(), "InputError");
    assert!(
        run.error_message().contains(
            r#""start", "stop", "list", "add_tenant", "remove_tenant" and "list_tenants""#
        )
    );
    assert_eq!(tenant.stats().requests_total, before);
}

#[tokio::test]
async fn the_handler_answers_through_cargo_lambda() {
    let tenant = emulator().await;
    let lambda = integration_tests::CargoLambda::start(FUNCTION, &tenant_env(&tenant)).await;
    let reply = lambda.invoke(&json!({"operation": "start"})).await.unwrap();
    assert_eq!(reply["results"][0]["status"], "enabled");
    assert_eq!(reply["results"][0]["already_enabled"], json!(false));
    let reply = lambda.invoke(&json!({"operation": "list"})).await.unwrap();
    assert_eq!(reply["all_enabled"], json!(true));
    // Errors come back as Lambda errors, with the message intact.
    let err = lambda
        .invoke(&json!({"operation": "bogus"}))
        .await
        .unwrap_err();
    assert!(
        err.contains("InputError") || err.contains(r#""start", "stop" and "list""#),
        "{err}"
    );
}
