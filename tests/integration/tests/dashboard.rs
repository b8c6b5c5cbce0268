//! The dashboard page end to end: the report binary's page for an emulated tenant opened in
//! Debian's headless Chromium (through `tests/integration/browser/check-page.mjs`), and the
//! publish path against moto's S3.

mod common;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use audit_core::report::html::{HtmlOptions, render};
use audit_core::report::{AppUsage, Dashboard, DayUsage, DeletedApp, InactiveApp, Report, Totals};
use common::Fixture;
use integration_tests::{function_binary, invoke, repo_root, with_vars, without_vars};
use o365_emulator::{ContentType, EmulatorConfig, GeneratorConfig};
use serde_json::{Value, json};

const REPORT: &str = "audit-report";
const TOP: usize = 15;

/// A week of history over many apps whose launches thin out towards the tail, so that the
/// range of the last five days has apps beyond the top, inactive apps and deletions.
fn dashboard_tenant() -> EmulatorConfig {
    EmulatorConfig {
        subscriptions_enabled: vec![ContentType::General],
        page_size: 50,
        generator: GeneratorConfig {
            hours_before: 160,
            content_types: vec![ContentType::General],
            apps: 120,
            users: 80,
            blobs_per_hour: 1,
            records_per_blob_min: 15,
            records_per_blob_max: 25,
            power_platform_fraction: 0.6,
            ..GeneratorConfig::default()
        },
        ..EmulatorConfig::default()
    }
}

fn artifacts() -> PathBuf {
    let dir = repo_root().join("target/artifacts");
    std::fs::create_dir_all(&dir).expect("target/artifacts can be created");
    dir
}

/// What Chromium saw; see check-page.mjs.
async fn open_in_chromium(page: &Path, screenshot: &Path) -> Value {
    let browser = repo_root().join("tests/integration/browser");
    assert!(
        browser.join("node_modules/playwright-core").exists(),
        "playwright-core is missing: run `make deps-browser` (or `make test`, which installs it)"
    );
    assert!(
        Path::new("/usr/bin/chromium").exists() || std::env::var_os("CHROMIUM").is_some(),
        "chromium is missing: run `make deps-browser` (apt-get install chromium)"
    );
    let run = tokio::process::Command::new("node")
        .arg(browser.join("check-page.mjs"))
        .arg(page)
        .arg(screenshot)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .output();
    let output = tokio::time::timeout(Duration::from_secs(120), run)
        .await
        .expect("Chromium answers within 2 minutes")
        .expect("node runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "check-page.mjs failed ({}): {stdout}\n{}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_str(&stdout).unwrap_or_else(|err| panic!("not JSON ({err}): {stdout}"))
}

/// The page loaded offline: nothing logged, nothing thrown, nothing requested, no script.
fn assert_clean(seen: &Value) {
    for field in ["console", "page_errors", "requests", "failed_requests"] {
        assert_eq!(seen[field], json!([]), "{field}: {}", seen[field]);
    }
    assert_eq!(seen["dom"]["scripts"], json!(0));
    assert_eq!(seen["dom"]["external"], json!([]));
}

fn u(value: &Value) -> u64 {
    match value {
        Value::String(s) => s
            .parse()
            .unwrap_or_else(|_| panic!("{s:?} is not a number")),
        other => other
            .as_u64()
            .unwrap_or_else(|| panic!("{other} is not a number")),
    }
}

/// `1,234` as shown, the number it stands for.
fn shown(text: &Value) -> u64 {
    u(&Value::String(text.as_str().unwrap().replace(',', "")))
}

fn without_generated_time(page: &str) -> String {
    match page.find(" · generated ") {
        Some(start) => {
            let end = start + page[start..].find("</p>").unwrap();
            format!("{}{}", &page[..start], &page[end..])
        }
        None => page.to_string(),
    }
}

/// `audit-report` in command-line mode with flags, as `make report-html` runs it.
async fn run_cli(flags: &[&str], env: &[(String, String)], event: &Value) -> (bool, String) {
    let output = tokio::process::Command::new(function_binary(REPORT))
        .args(flags)
        .arg(event.to_string())
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .envs(env.iter().map(|(k, v)| (k, v)))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .output();
    let output = tokio::time::timeout(Duration::from_secs(300), output)
        .await
        .expect("the report finishes within 5 minutes")
        .expect("the report runs");
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
    )
}

fn range_of(fx: &Fixture, days: i64) -> (String, String) {
    let last = fx
        .expected()
        .values()
        .map(|r| r.creation_time[..10].to_string())
        .max()
        .unwrap();
    let first = fx
        .expected()
        .values()
        .map(|r| r.creation_time[..10].to_string())
        .min()
        .unwrap();
    let format = time::macros::format_description!("[year]-[month]-[day]");
    let to = time::Date::parse(&last, format).unwrap();
    let from = (to - time::Duration::days(days - 1)).to_string().max(first);
    (from, last)
}

#[tokio::test]
async fn the_dashboard_in_headless_chromium_shows_exactly_the_json_reports_numbers() {
    let fx = Fixture::new(dashboard_tenant()).await;
    fx.sync_ok().await;
    let (from, to) = range_of(&fx, 5);
    let range = json!({"from": from, "to": to});
    let report = invoke(REPORT, &fx.env, &range).await.ok().clone();
    let apps = report["apps"].as_array().unwrap();
    let inactive = report["inactive_apps"].as_array().unwrap();
    let deleted = report["deleted_apps"].as_array().unwrap();
    assert!(
        apps.len() > TOP && !inactive.is_empty() && !deleted.is_empty(),
        "the tenant should fill every part of the page: {} apps, {} inactive, {} deleted",
        apps.len(),
        inactive.len(),
        deleted.len()
    );

    let event = json!({"from": from, "to": to, "format": "html", "top": TOP});
    let reply = invoke(REPORT, &fx.env, &event).await.ok().clone();
    assert_eq!(reply["format"], "html");
    assert_eq!(reply["totals"], report["totals"]);
    let html = reply["html"].as_str().unwrap();
    assert!(html.starts_with("<!doctype html>"));
    // The command line prints the same page (what `make report-html` saves).
    let (ok, cli_page) = run_cli(
        &["--html"],
        &fx.env,
        &json!({"from": from, "to": to, "top": TOP}),
    )
    .await;
    assert!(ok, "{cli_page}");
    assert_eq!(
        without_generated_time(&cli_page),
        without_generated_time(html)
    );

    let dir = artifacts();
    let page_path = dir.join("dashboard.html");
    let screenshot = dir.join("dashboard.png");
    std::fs::write(&page_path, html).unwrap();
    let _ = std::fs::remove_file(&screenshot);
    let seen = open_in_chromium(&page_path, &screenshot).await;
    assert_clean(&seen);
    let dom = &seen["dom"];
    assert_eq!(
        dom["range"],
        json!({"from": from, "to": to, "tenant": fx.tenant.tenant_id()}),
        "the page names its range and its tenant"
    );
    views_on_the_page(&fx, dom, &from, &to).await;

    let totals = &report["totals"];
    for (shown_as, field) in [
        ("launches", "launches"),
        ("unique_users", "unique_users"),
        ("apps", "apps"),
    ] {
        let card = &dom["totals"][shown_as];
        assert_eq!(u(&card["data"]), u(&totals[field]), "{field}");
        assert_eq!(shown(&card["text"]), u(&totals[field]), "{field} as shown");
    }
    assert_eq!(
        u(&dom["totals"]["inactive_apps"]["data"]),
        inactive.len() as u64
    );
    assert_eq!(
        u(&dom["totals"]["deleted_apps"]["data"]),
        deleted.len() as u64
    );

    let rows = dom["top_apps"].as_array().unwrap();
    assert_eq!(rows.len(), TOP);
    for (row, app) in rows.iter().zip(apps) {
        assert_eq!(row["appId"], app["app_id"]);
        assert_eq!(u(&row["launches"]), u(&app["launches"]));
        assert_eq!(u(&row["uniqueUsers"]), u(&app["unique_users"]));
        assert_eq!(row["lastLaunched"], app["last_launched"]);
        if let Some(name) = app["app_name"].as_str() {
            assert!(row["text"].as_str().unwrap().contains(name), "{row}");
        }
    }
    let rest = &apps[TOP..];
    assert_eq!(u(&dom["more_apps"]["apps"]), rest.len() as u64);
    assert_eq!(
        u(&dom["more_apps"]["launches"]),
        rest.iter().map(|a| u(&a["launches"])).sum::<u64>()
    );

    let days = report["days"].as_array().unwrap();
    assert_eq!(dom["days"].as_array().unwrap().len(), days.len());
    for (i, day) in days.iter().enumerate() {
        let row = &dom["days"][i];
        assert_eq!(row["day"], day["day"]);
        assert_eq!(u(&row["launches"]), u(&day["launches"]));
        assert_eq!(u(&row["uniqueUsers"]), u(&day["unique_users"]));
        let bar = &dom["launch_bars"][i];
        assert_eq!(
            (&bar["day"], u(&bar["value"])),
            (&day["day"], u(&day["launches"]))
        );
        assert_eq!(
            bar["height"].as_f64().unwrap() > 0.0,
            u(&day["launches"]) > 0
        );
        let dot = &dom["user_dots"][i];
        assert_eq!(
            (&dot["day"], u(&dot["value"])),
            (&day["day"], u(&day["unique_users"]))
        );
    }

    let listed = |rows: &Value| -> Vec<String> {
        rows.as_array()
            .unwrap()
            .iter()
            .map(|r| r["appId"].as_str().unwrap().to_string())
            .collect()
    };
    let ids = |apps: &[Value]| -> Vec<String> {
        apps.iter()
            .take(TOP)
            .map(|a| a["app_id"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(listed(&dom["inactive_apps"]), ids(inactive));
    assert_eq!(listed(&dom["deleted_apps"]), ids(deleted));
    for (row, app) in dom["inactive_apps"]
        .as_array()
        .unwrap()
        .iter()
        .zip(inactive)
    {
        assert_eq!(row["lastLaunched"], app["last_launched"]);
    }
    for (row, app) in dom["deleted_apps"].as_array().unwrap().iter().zip(deleted) {
        assert_eq!(row["deletedAt"], app["deleted_at"]);
    }
    let more_inactive = inactive.len().saturating_sub(TOP) as u64;
    if more_inactive > 0 {
        assert_eq!(u(&dom["more_inactive_apps"]["apps"]), more_inactive);
    } else {
        assert_eq!(dom["more_inactive_apps"], Value::Null);
    }

    let png = std::fs::metadata(&screenshot).expect("the screenshot is saved");
    assert!(png.len() > 10_000, "{} bytes", png.len());
}

/// Names a browser must show as text, never as markup.
const AWKWARD_NAMES: [&str; 4] = [
    r#"Tom & "Jerry's" <b>bold</b>"#,
    "</td></tr></table><script>alert(1)</script>",
    "Café ☕ 日本語 \u{202e}reversed",
    "",
];

fn large_report() -> Report {
    let days: Vec<DayUsage> = (0..366)
        .map(|i| {
            let day = time::macros::date!(2025 - 11 - 24) + time::Duration::days(i);
            DayUsage {
                day: day.to_string(),
                launches: 40_000 + (i as u64 * 7919) % 25_000,
                unique_users: 3_000 + (i as u64 * 104_729) % 2_000,
            }
        })
        .collect();
    let apps: Vec<AppUsage> = (0..5000u64)
        .map(|i| AppUsage {
            app_id: format!("00000000-0000-4000-8000-{i:012}"),
            app_name: Some(AWKWARD_NAMES[i as usize % 4].to_string()),
            launches: 10_000_000 / (i + 1),
            unique_users: 5_000 / (i + 1) + 1,
            last_launched: Some("2026-11-24T12:34:56Z".into()),
            environment_id: Some("default-contoso".into()),
            environment_name: Some(AWKWARD_NAMES[i as usize % 4].to_string()),
            production: i < 100,
            deleted: i % 97 == 0,
            deleted_at: (i % 97 == 0).then(|| "2026-11-20T08:00:00Z".into()),
            by_day: None,
        })
        .collect();
    Report {
        from: days[0].day.clone(),
        to: days[365].day.clone(),
        environment_id: None,
        totals: Totals {
            launches: apps.iter().map(|a| a.launches).sum(),
            unique_users: 5_000,
            apps: apps.len() as u64,
        },
        apps,
        days,
        inactive_apps: (0..3000)
            .map(|i| InactiveApp {
                app_id: format!("11111111-0000-4000-8000-{i:012}"),
                app_name: Some(AWKWARD_NAMES[i % 4].to_string()),
                last_launched: "2025-01-01T00:00:00Z".into(),
            })
            .collect(),
        deleted_apps: (0..300)
            .map(|i| DeletedApp {
                app_id: format!("22222222-0000-4000-8000-{i:012}"),
                app_name: None,
                deleted_at: "2026-11-20T08:00:00Z".into(),
                last_launched: None,
            })
            .collect(),
    }
}

/// Each view's section lists the first `TOP` rows of that view's JSON, with its numbers.
async fn views_on_the_page(fx: &Fixture, dom: &Value, from: &str, to: &str) {
    let view = |name: &str| json!({"from": from, "to": to, "view": name, "top": TOP});
    let environments = invoke(REPORT, &fx.env, &view("environments"))
        .await
        .ok()
        .clone();
    let users = invoke(REPORT, &fx.env, &view("users")).await.ok().clone();
    let agents = invoke(REPORT, &fx.env, &view("agents")).await.ok().clone();
    let flows = invoke(REPORT, &fx.env, &view("flows")).await.ok().clone();
    let cases = [
        (
            "environments",
            &environments["environments"],
            "environmentId",
            "environment_id",
            &[
                ("launches", "launches"),
                ("uniqueUsers", "unique_users"),
                ("activeApps", "active_apps"),
            ][..],
        ),
        (
            "top_launchers",
            &users["users"],
            "user",
            "user",
            &[("launches", "launches"), ("apps", "apps")][..],
        ),
        (
            "agents",
            &agents["agents"],
            "agentId",
            "agent_id",
            &[
                ("interactions", "interactions"),
                ("conversations", "conversations"),
                ("uniqueUsers", "unique_users"),
            ][..],
        ),
        (
            "flows",
            &flows["flows"],
            "flowId",
            "flow_id",
            &[("edits", "edits")][..],
        ),
    ];
    for (section, json_rows, id_attr, id_field, numbers) in cases {
        let json_rows = json_rows.as_array().unwrap();
        assert!(
            !json_rows.is_empty(),
            "the tenant should fill the {section} section"
        );
        let rows = dom[section].as_array().unwrap();
        assert_eq!(rows.len(), json_rows.len().min(TOP), "{section}");
        for (row, expected) in rows.iter().zip(json_rows) {
            let id = expected[id_field].as_str().unwrap_or("");
            assert_eq!(row[id_attr].as_str().unwrap(), id, "{section}");
            for (attr, field) in numbers {
                assert_eq!(
                    u(&row[*attr]),
                    u(&expected[*field]),
                    "{section} {id} {field}"
                );
            }
        }
    }
    for (row, expected) in dom["agents"]
        .as_array()
        .unwrap()
        .iter()
        .zip(agents["agents"].as_array().unwrap())
    {
        assert_eq!(
            row["deleted"].as_str().unwrap(),
            expected["deleted"].to_string()
        );
    }
    for (row, expected) in dom["flows"]
        .as_array()
        .unwrap()
        .iter()
        .zip(flows["flows"].as_array().unwrap())
    {
        assert_eq!(
            u(&row["makers"]),
            expected["makers"].as_array().unwrap().len() as u64
        );
        assert_eq!(
            row["deleted"].as_str().unwrap(),
            expected["deleted"].to_string()
        );
    }
}

#[tokio::test]
async fn five_thousand_apps_stay_readable_and_render_within_a_second() {
    let report = large_report();
    let page = render(
        &Dashboard::apps_only(report.clone()),
        &HtmlOptions::default(),
    );
    let dir = artifacts();
    let path = dir.join("dashboard-5000-apps.html");
    std::fs::write(&path, &page).unwrap();
    let seen = open_in_chromium(&path, &dir.join("dashboard-5000-apps.png")).await;
    assert_clean(&seen);
    let load_ms = seen["navigation"]["load_ms"].as_f64().unwrap();
    assert!(load_ms < 1000.0, "the page took {load_ms} ms to load");

    let dom = &seen["dom"];
    assert_eq!(dom["top_apps"].as_array().unwrap().len(), 50);
    assert_eq!(u(&dom["more_apps"]["apps"]), 4950);
    assert_eq!(
        u(&dom["more_apps"]["launches"]),
        report.apps[50..].iter().map(|a| a.launches).sum::<u64>()
    );
    assert_eq!(
        u(&dom["totals"]["launches"]["data"]),
        report.totals.launches
    );
    assert_eq!(dom["launch_bars"].as_array().unwrap().len(), 366);
    assert_eq!(u(&dom["more_inactive_apps"]["apps"]), 2950);
    assert_eq!(u(&dom["more_deleted_apps"]["apps"]), 250);
    // The awkward names arrive as text, whole.
    let texts: BTreeSet<String> = dom["top_apps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["text"].as_str().unwrap().to_string())
        .collect();
    for name in &AWKWARD_NAMES[..3] {
        assert!(
            texts.iter().any(|t| t.contains(name)),
            "{name:?} is not shown as text"
        );
    }
    assert!(texts.iter().any(|t| t.contains("(no name)")));
}

/// moto's S3, as the template's bucket is: public access blocked, encrypted.
async fn report_bucket(fx: &Fixture, name: &str) -> aws_sdk_s3::Client {
    use aws_sdk_s3::types::{
        PublicAccessBlockConfiguration, ServerSideEncryption, ServerSideEncryptionByDefault,
        ServerSideEncryptionConfiguration, ServerSideEncryptionRule,
    };
    let config = aws_sdk_s3::config::Builder::from(&fx.moto.sdk_config().await)
        .force_path_style(true)
        .build();
    let s3 = aws_sdk_s3::Client::from_conf(config);
    s3.create_bucket().bucket(name).send().await.unwrap();
    s3.put_public_access_block()
        .bucket(name)
        .public_access_block_configuration(
            PublicAccessBlockConfiguration::builder()
                .block_public_acls(true)
                .block_public_policy(true)
                .ignore_public_acls(true)
                .restrict_public_buckets(true)
                .build(),
        )
        .send()
        .await
        .unwrap();
    s3.put_bucket_encryption()
        .bucket(name)
        .server_side_encryption_configuration(
            ServerSideEncryptionConfiguration::builder()
                .rules(
                    ServerSideEncryptionRule::builder()
                        .apply_server_side_encryption_by_default(
                            ServerSideEncryptionByDefault::builder()
                                .sse_algorithm(ServerSideEncryption::Aes256)
                                .build()
                                .unwrap(),
                        )
                        .build(),
                )
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    s3
}

#[tokio::test]
async fn publishing_puts_a_private_page_in_s3_and_the_link_fetches_it() {
    let fx = Fixture::new(common::small_tenant()).await;
    fx.sync_ok().await;
    let bucket = "audit-reports-test";
    let s3 = report_bucket(&fx, bucket).await;
    let env = with_vars(
        fx.env.clone(),
        &[
            ("AUDIT_LOGS_REPORT_BUCKET", bucket),
            ("AUDIT_LOGS_REPORT_URL_SECONDS", "900"),
        ],
    );
    let (from, to) = range_of(&fx, 2);
    let report = invoke(REPORT, &env, &json!({"from": from, "to": to}))
        .await
        .ok()
        .clone();
    let reply = invoke(
        REPORT,
        &env,
        &json!({"from": from, "to": to, "publish": true}),
    )
    .await
    .ok()
    .clone();
    let key = format!("reports/usage-{from}-{to}.html");
    assert_eq!(reply["format"], "html");
    assert_eq!(
        (&reply["bucket"], &reply["key"]),
        (&json!(bucket), &json!(key))
    );
    assert_eq!(reply["totals"], report["totals"]);
    assert_eq!(reply["url_expires_in_seconds"], 900);
    assert!(reply.get("html").is_none(), "the link replaces the page");
    let url = reply["url"].as_str().unwrap();
    assert!(
        url.starts_with(&format!("{}/{bucket}/{key}?", fx.moto.endpoint)),
        "{url}"
    );
    for part in ["X-Amz-Expires=900", "X-Amz-Signature=", "X-Amz-Credential="] {
        assert!(url.contains(part), "{part} not in {url}");
    }

    // The object: there, a page, and nobody's but the owner's.
    let head = s3
        .head_object()
        .bucket(bucket)
        .key(&key)
        .send()
        .await
        .unwrap();
    assert_eq!(head.content_type(), Some("text/html; charset=utf-8"));
    let acl = s3
        .get_object_acl()
        .bucket(bucket)
        .key(&key)
        .send()
        .await
        .unwrap();
    for grant in acl.grants() {
        let uri = grant.grantee().and_then(|g| g.uri()).unwrap_or_default();
        assert!(
            !uri.contains("AllUsers") && !uri.contains("AuthenticatedUsers"),
            "a public grant: {grant:?}"
        );
    }
    let http = reqwest::Client::new();
    let anonymous = http
        .get(format!("{}/{bucket}/{key}", fx.moto.endpoint))
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous.status(), 403, "an unsigned GET is refused");

    // The link fetches the page, with the report's numbers.
    let fetched = http.get(url).send().await.unwrap();
    assert_eq!(fetched.status(), 200);
    assert!(
        fetched.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    let page = fetched.text().await.unwrap();
    assert!(page.starts_with("<!doctype html>"));
    let launches = report["totals"]["launches"].as_u64().unwrap();
    assert!(page.contains(&format!("id=\"total-launches\" data-value=\"{launches}\"")));
    let stored = s3
        .get_object()
        .bucket(bucket)
        .key(&key)
        .send()
        .await
        .unwrap()
        .body
        .collect()
        .await
        .unwrap()
        .into_bytes();
    assert_eq!(stored.as_ref(), page.as_bytes());

    // Publishing again replaces the page under the same key.
    invoke(
        REPORT,
        &env,
        &json!({"from": from, "to": to, "format": "html", "publish": true}),
    )
    .await
    .ok();
    let listed = s3.list_objects_v2().bucket(bucket).send().await.unwrap();
    assert_eq!(listed.contents().len(), 1);

    // A missing or wrong bucket is explained.
    let run = invoke(
        REPORT,
        &without_vars(env.clone(), &["AUDIT_LOGS_REPORT_BUCKET"]),
        &json!({"publish": true}),
    )
    .await;
    assert_eq!(run.error_type(), "ConfigError");
    assert!(
        run.error_message().contains("AUDIT_LOGS_REPORT_BUCKET"),
        "{}",
        run.error_message()
    );
    let run = invoke(
        REPORT,
        &with_vars(
            env.clone(),
            &[("AUDIT_LOGS_REPORT_BUCKET", "no-such-bucket")],
        ),
        &json!({"publish": true}),
    )
    .await;
    assert_eq!(run.error_type(), "PublishError", "{}", run.error_message());
    assert!(
        run.error_message().contains("does not exist"),
        "{}",
        run.error_message()
    );
    // Without publishing, no bucket is needed.
    invoke(
        REPORT,
        &without_vars(env, &["AUDIT_LOGS_REPORT_BUCKET"]),
        &json!({"format": "html"}),
    )
    .await
    .ok();
}
