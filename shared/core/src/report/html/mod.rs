//! The usage report as one self-contained HTML page: inline SVG charts drawn here, one inline
//! stylesheet, no script and nothing fetched, under a Content-Security-Policy that allows only
//! that stylesheet (by hash). It opens offline, from a file, from S3 or as an email attachment.
//!
//! Every number on the page is a number of the [`Report`]; elements that carry one have an `id`
//! or `data-*` attributes holding the exact value, so a test (or a scraper) reads them back.

mod apps;
mod cells;
mod chart;
mod days;
mod escape;
mod number;
mod style;
mod totals;
mod views;

use std::fmt::Write as _;

use super::{Dashboard, Report};
use style::STYLE;

pub use escape::escape;
pub use number::thousands;
pub use style::content_security_policy;

/// How the page is drawn.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HtmlOptions {
    /// Apps listed one by one in each table; the rest are summed up in one line.
    pub top: usize,
    /// Shown in the header, e.g. `2026-11-24T06:00:00Z`.
    pub generated_at: Option<String>,
    /// The tenant the page is about, named in the header.
    pub tenant: Option<String>,
}

impl Default for HtmlOptions {
    fn default() -> Self {
        HtmlOptions {
            top: super::DEFAULT_TOP,
            generated_at: None,
            tenant: None,
        }
    }
}

/// The page for `dashboard`: the apps first, then a section per view.
pub fn render(dashboard: &Dashboard, options: &HtmlOptions) -> String {
    let top = options.top.max(1);
    let report = &dashboard.apps;
    let mut page = String::with_capacity(64 * 1024);
    head(&mut page, report);
    header(&mut page, report, options);
    totals::cards(&mut page, report);
    days::sections(&mut page, &report.days);
    apps::top_apps(&mut page, report, top);
    views::environments(&mut page, &dashboard.environments, top);
    views::top_launchers(&mut page, &dashboard.users, top);
    views::agents(&mut page, &dashboard.agents, top);
    views::flows(&mut page, &dashboard.flows, top);
    apps::inactive_apps(&mut page, report, top);
    apps::deleted_apps(&mut page, report, top);
    page.push_str(FOOTER);
    page
}

fn head(page: &mut String, report: &Report) {
    let title = format!("Power Platform usage, {} to {}", report.from, report.to);
    let _ = write!(
        page,
        "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta http-equiv=\"Content-Security-Policy\" content=\"{csp}\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <meta name=\"referrer\" content=\"no-referrer\">\n\
         <link rel=\"icon\" href=\"data:,\">\n\
         <title>{title}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n<main>\n",
        // Written as is: quotes in the policy are single, and nothing in it comes from data.
        csp = content_security_policy(),
        title = escape(&title),
    );
}

fn header(page: &mut String, report: &Report, options: &HtmlOptions) {
    let generated_at = options.generated_at.as_deref();
    let _ = write!(
        page,
        "<header>\n<h1>Power Platform usage</h1>\n<p id=\"range\" data-from=\"{from}\" data-to=\"{to}\"{env_attr}{tenant_attr}>\
         {tenant}{from} to {to} (UTC days, both included){env}{generated}</p>\n</header>\n",
        tenant_attr = options
            .tenant
            .as_deref()
            .map(|t| format!(" data-tenant=\"{}\"", escape(t)))
            .unwrap_or_default(),
        tenant = options
            .tenant
            .as_deref()
            .map(|t| format!("Tenant {} · ", escape(t)))
            .unwrap_or_default(),
        from = escape(&report.from),
        to = escape(&report.to),
        generated = generated_at
            .map(|at| format!(" · generated {}", escape(at)))
            .unwrap_or_default(),
        env_attr = report
            .environment_id
            .as_deref()
            .map(|e| format!(" data-environment-id=\"{}\"", escape(e)))
            .unwrap_or_default(),
        env = report
            .environment_id
            .as_deref()
            .map(|e| format!(" · environment {}", escape(e)))
            .unwrap_or_default(),
    );
}

/// What the numbers mean, and where the rest of them are.
const FOOTER: &str = "<footer>\n<p>Launches: audit records with operation LaunchPowerApp in the \
     range. Unique users: distinct users (UPNs compared without letter case) over the whole range, \
     not a sum of days. Last launched: the newest launch ever stored, in the range or not. \
     Inactive: launched before the range, not in it, and not deleted. Only canvas apps write \
     launches; model-driven apps do not. Production: 50 launches or 5 unique users in one calendar \
     month. Agent turns: CopilotInteraction records of Copilot Studio agents. Flow runs are not in \
     the audit log. Times are UTC.</p>\n\
     <p>The JSON report of the same range (the <code>audit-report</code> function without \
     <code>\"format\": \"html\"</code>) has every app and the same numbers.</p>\n</footer>\n\
     </main>\n</body>\n</html>\n";

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::{AppUsage, DayUsage, DeletedApp, InactiveApp, Totals};
    use base64::Engine as _;
    use sha2::{Digest, Sha256};

    fn app(id: &str, name: Option<&str>, launches: u64, users: u64) -> AppUsage {
        AppUsage {
            app_id: id.into(),
            app_name: name.map(str::to_string),
            launches,
            unique_users: users,
            last_launched: Some("2026-11-02T10:00:00Z".into()),
            environment_id: None,
            environment_name: None,
            production: false,
            deleted: false,
            deleted_at: None,
            by_day: None,
        }
    }

    fn report(apps: Vec<AppUsage>) -> Report {
        let days = vec![
            DayUsage {
                day: "2026-11-01".into(),
                launches: 1200,
                unique_users: 31,
            },
            DayUsage {
                day: "2026-11-02".into(),
                launches: apps.iter().map(|a| a.launches).sum::<u64>() - 1200,
                unique_users: 17,
            },
        ];
        Report {
            from: "2026-11-01".into(),
            to: "2026-11-02".into(),
            environment_id: None,
            totals: Totals {
                launches: apps.iter().map(|a| a.launches).sum(),
                unique_users: 42,
                apps: apps.len() as u64,
            },
            apps,
            days,
            inactive_apps: vec![InactiveApp {
                app_id: "old-1".into(),
                app_name: Some("Old <app>".into()),
                last_launched: "2026-10-01T08:00:00Z".into(),
            }],
            deleted_apps: vec![DeletedApp {
                app_id: "gone-1".into(),
                app_name: None,
                deleted_at: "2026-11-02T09:00:00Z".into(),
                last_launched: None,
            }],
        }
    }

    /// The text between `<style>` and `</style>`, the only place CSS may live.
    fn style_of(page: &str) -> &str {
        let start = page.find("<style>").unwrap() + "<style>".len();
        let end = page.find("</style>").unwrap();
        &page[start..end]
    }

    #[test]
    fn text_is_escaped_everywhere() {
        let evil = r#"Tom & "Jerry's" <script>alert(1)</script> — café ☕"#;
        let page = render(
            &Dashboard::apps_only(report(vec![
                app("a\"1", Some(evil), 2000, 40),
                app("b1", Some("x"), 3, 2),
            ])),
            &HtmlOptions::default(),
        );
        assert!(
            !page.contains("<script"),
            "no script, not even escaped badly"
        );
        assert!(page.contains(
            "Tom &amp; &quot;Jerry&#39;s&quot; &lt;script&gt;alert(1)&lt;/script&gt; — café ☕"
        ));
        assert!(page.contains("data-app-id=\"a&quot;1\""));
        assert!(page.contains("Old &lt;app&gt;"));
    }

    #[test]
    fn every_total_and_app_number_is_on_the_page() {
        let r = report(vec![
            app("a1", Some("Expenses"), 1234, 40),
            app("b2", None, 9, 2),
        ]);
        let page = render(&Dashboard::apps_only(r.clone()), &HtmlOptions::default());
        for needle in [
            "id=\"total-launches\" data-value=\"1243\">1,243<",
            "id=\"total-unique-users\" data-value=\"42\">42<",
            "id=\"total-apps\" data-value=\"2\">2<",
            "id=\"total-inactive-apps\" data-value=\"1\">",
            "id=\"total-deleted-apps\" data-value=\"1\">",
            "data-app-id=\"a1\" data-launches=\"1234\" data-unique-users=\"40\"",
            "data-app-id=\"b2\" data-launches=\"9\" data-unique-users=\"2\"",
            "<rect class=\"bar\" data-day=\"2026-11-01\" data-value=\"1200\"",
            "<circle class=\"dot\" data-day=\"2026-11-02\" data-value=\"17\"",
            "data-day=\"2026-11-02\" data-launches=\"43\" data-unique-users=\"17\"",
            "(no name)",
            "data-deleted-at=\"2026-11-02T09:00:00Z\"",
            "<time datetime=\"2026-11-02T10:00:00Z\">2026-11-02 10:00:00</time>",
        ] {
            assert!(page.contains(needle), "{needle} is missing");
        }
        assert!(!page.contains("more-apps"), "everything fits");
    }

    #[test]
    fn the_page_is_self_contained_and_its_policy_allows_exactly_its_stylesheet() {
        let page = render(
            &Dashboard::apps_only(report(vec![app("a1", None, 1300, 1)])),
            &HtmlOptions::default(),
        );
        assert!(page.starts_with("<!doctype html>"));
        for forbidden in [
            "<script",
            "<link rel=\"stylesheet",
            "<img",
            "<iframe",
            "@import",
            "url(",
            "style=\"",
            "http://",
            "https://",
            "src=",
        ] {
            let allowed_svg_namespace = forbidden == "http://"
                && page.matches("http://").count()
                    == page.matches("http://www.w3.org/2000/svg").count();
            assert!(
                !page.contains(forbidden) || allowed_svg_namespace,
                "{forbidden} found"
            );
        }
        let hash = base64::engine::general_purpose::STANDARD
            .encode(Sha256::digest(style_of(&page).as_bytes()));
        assert!(page.contains(&format!("style-src 'sha256-{hash}'")));
        assert!(page.contains("default-src 'none'"));
        assert_eq!(page.matches("<style>").count(), 1);
    }

    #[test]
    fn five_thousand_apps_show_the_top_and_sum_up_the_rest() {
        let apps: Vec<AppUsage> = (0..5000u64)
            .map(|i| app(&format!("app-{i:04}"), Some("App"), 5000 - i, 1))
            .collect();
        let rest: u64 = apps[50..].iter().map(|a| a.launches).sum();
        let page = render(&Dashboard::apps_only(report(apps)), &HtmlOptions::default());
        assert_eq!(page.matches("<tr class=\"app\"").count(), 50);
        assert!(page.contains(&format!(
            "id=\"more-apps\" data-apps=\"4950\" data-launches=\"{rest}\">4,950 more apps, {} launches.",
            thousands(rest)
        )));
        assert!(page.len() < 200_000, "{} bytes", page.len());

        let small = render(
            &Dashboard::apps_only(report(vec![app("a", None, 1250, 1), app("b", None, 1, 1)])),
            &HtmlOptions {
                top: 1,
                generated_at: Some("2026-11-24T06:00:00Z".into()),
                tenant: Some("0b5d3e7a-2c4f-4a19-8e6d-9f1a2b3c4d5e".into()),
            },
        );
        assert!(
            small.contains("data-tenant=\"0b5d3e7a-2c4f-4a19-8e6d-9f1a2b3c4d5e\"")
                && small.contains("Tenant 0b5d3e7a-2c4f-4a19-8e6d-9f1a2b3c4d5e · "),
            "the page names its tenant"
        );
        assert!(small.contains("data-apps=\"1\" data-launches=\"1\">1 more apps, 1 launches."));
        assert!(small.contains("generated 2026-11-24T06:00:00Z"));
    }

    #[test]
    fn an_empty_range_says_so_and_still_draws_its_days() {
        let mut r = report(vec![app("a", None, 1200, 1)]);
        r.apps.clear();
        r.totals = Totals {
            launches: 0,
            unique_users: 0,
            apps: 0,
        };
        for day in &mut r.days {
            day.launches = 0;
            day.unique_users = 0;
        }
        let page = render(&Dashboard::apps_only(r.clone()), &HtmlOptions::default());
        assert!(page.contains("No launches in this range."));
        assert_eq!(page.matches("<rect class=\"bar\"").count(), 2);
        assert!(!page.contains("NaN") && !page.contains("=\"inf"));
    }
}
