//! The usage report as one self-contained HTML page: inline SVG charts drawn here, one inline
//! stylesheet, no script and nothing fetched, under a Content-Security-Policy that allows only
//! that stylesheet (by hash). It opens offline, from a file, from S3 or as an email attachment.
//!
//! Every number on the page is a number of the [`Report`]; elements that carry one have an `id`
//! or `data-*` attributes holding the exact value, so a test (or a scraper) reads them back.

use std::fmt::Write as _;

use base64::Engine as _;
use sha2::{Digest, Sha256};

use super::{AppUsage, DayUsage, Report};

/// How the page is drawn.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HtmlOptions {
    /// Apps listed one by one in each table; the rest are summed up in one line.
    pub top: usize,
    /// Shown in the header, e.g. `2026-11-24T06:00:00Z`.
    pub generated_at: Option<String>,
}

impl Default for HtmlOptions {
    fn default() -> Self {
        HtmlOptions {
            top: super::DEFAULT_TOP,
            generated_at: None,
        }
    }
}

/// Attributes rather than `style=""` throughout: a hash-only `style-src` blocks inline style
/// attributes, and the test in Chromium fails on the console error that would cause.
const STYLE: &str = r#"
:root { color-scheme: light; --ink: #1f2933; --muted: #616e7c; --line: #d9e2ec; --bg: #f5f7fa;
  --launch: #2563eb; --users: #d97706; --warn: #b91c1c; }
* { box-sizing: border-box; }
body { margin: 0; padding: 24px; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif;
  color: var(--ink); background: var(--bg); }
main { max-width: 1100px; margin: 0 auto; }
h1 { font-size: 22px; margin: 0 0 4px; }
h2 { font-size: 16px; margin: 0 0 8px; }
p { margin: 4px 0; }
.muted { color: var(--muted); }
section { background: #fff; border: 1px solid var(--line); border-radius: 8px; padding: 16px; margin: 16px 0; }
.totals { display: grid; grid-template-columns: repeat(auto-fit, minmax(160px, 1fr)); gap: 12px;
  background: none; border: 0; padding: 0; }
.card { background: #fff; border: 1px solid var(--line); border-radius: 8px; padding: 12px 16px; }
.card .value { display: block; font-size: 28px; font-weight: 600; font-variant-numeric: tabular-nums; }
.card .label { color: var(--muted); }
svg.chart { display: block; width: 100%; height: auto; }
svg .grid { stroke: var(--line); stroke-width: 1; }
svg .axis { fill: var(--muted); font-size: 11px; }
svg .bar { fill: var(--launch); }
svg .bar:hover { fill: #1e40af; }
svg .line { fill: none; stroke: var(--users); stroke-width: 2; }
svg .dot { fill: var(--users); }
svg .dot:hover { fill: #92400e; }
table { width: 100%; border-collapse: collapse; font-variant-numeric: tabular-nums; }
th, td { text-align: left; padding: 6px 8px; border-bottom: 1px solid var(--line); vertical-align: top; }
th { color: var(--muted); font-weight: 600; }
td.num, th.num { text-align: right; }
td.name { overflow-wrap: anywhere; }
.id { display: block; color: var(--muted); font-size: 11px; font-family: ui-monospace, monospace; }
meter { width: 120px; }
.badge { color: var(--warn); font-weight: 600; }
.more { color: var(--muted); padding-top: 8px; }
details summary { cursor: pointer; color: var(--muted); }
footer { color: var(--muted); font-size: 12px; margin: 16px 0; }
"#;

const CHART_WIDTH: f64 = 960.0;
const CHART_HEIGHT: f64 = 220.0;
const PLOT_LEFT: f64 = 56.0;
const PLOT_RIGHT: f64 = 12.0;
const PLOT_TOP: f64 = 12.0;
const PLOT_BOTTOM: f64 = 28.0;

/// The `Content-Security-Policy` of the page: nothing may load but the page's own stylesheet.
pub fn content_security_policy() -> String {
    let hash = base64::engine::general_purpose::STANDARD.encode(Sha256::digest(STYLE.as_bytes()));
    format!(
        "default-src 'none'; style-src 'sha256-{hash}'; img-src data:; base-uri 'none'; form-action 'none'"
    )
}

/// Escapes text for HTML element content and double- or single-quoted attribute values.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// `1234567` as `1,234,567`; the exact value also goes into a `data-value` attribute.
fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

fn name_of(name: Option<&str>) -> String {
    match name {
        // <bdi>: a right-to-left or direction-override character in one name stays in it.
        Some(name) if !name.trim().is_empty() => format!("<bdi>{}</bdi>", escape(name)),
        _ => "<span class=\"muted\">(no name)</span>".to_string(),
    }
}

/// A stored UTC timestamp, readable, with the exact value in `datetime`.
fn time_cell(timestamp: Option<&str>) -> String {
    match timestamp {
        Some(t) => format!(
            "<time datetime=\"{}\">{}</time>",
            escape(t),
            escape(&t.replacen('T', " ", 1).replace('Z', ""))
        ),
        None => "<span class=\"muted\">never</span>".to_string(),
    }
}

/// The page for `report`.
pub fn render(report: &Report, options: &HtmlOptions) -> String {
    let top = options.top.max(1);
    let mut page = String::with_capacity(64 * 1024);
    let title = format!("Power Apps usage, {} to {}", report.from, report.to);
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

    let _ = write!(
        page,
        "<header>\n<h1>Power Apps usage</h1>\n<p id=\"range\" data-from=\"{from}\" data-to=\"{to}\">\
         {from} to {to} (UTC days, both included){generated}</p>\n</header>\n",
        from = escape(&report.from),
        to = escape(&report.to),
        generated = options
            .generated_at
            .as_deref()
            .map(|at| format!(" · generated {}", escape(at)))
            .unwrap_or_default(),
    );

    let cards = [
        ("total-launches", "Launches", report.totals.launches),
        (
            "total-unique-users",
            "Unique users",
            report.totals.unique_users,
        ),
        ("total-apps", "Active apps", report.totals.apps),
        (
            "total-inactive-apps",
            "Inactive apps",
            report.inactive_apps.len() as u64,
        ),
        (
            "total-deleted-apps",
            "Deleted apps",
            report.deleted_apps.len() as u64,
        ),
    ];
    page.push_str("<section class=\"totals\" aria-label=\"Totals\">\n");
    for (id, label, value) in cards {
        let _ = writeln!(
            page,
            "<div class=\"card\"><span class=\"value\" id=\"{id}\" data-value=\"{value}\">{}</span>\
             <span class=\"label\">{label}</span></div>",
            thousands(value)
        );
    }
    page.push_str("</section>\n");

    let _ = write!(
        page,
        "<section>\n<h2 id=\"launches-title\">Launches per day</h2>\n{}</section>\n",
        bar_chart("chart-launches", "launches-title", &report.days)
    );
    let _ = write!(
        page,
        "<section>\n<h2 id=\"users-title\">Unique users per day</h2>\n\
         <p class=\"muted\">Distinct users that launched any app that day.</p>\n{}",
        line_chart("chart-users", "users-title", &report.days)
    );
    page.push_str(
        "<details>\n<summary>Numbers per day</summary>\n<table id=\"days\">\n<thead><tr><th>Day</th>\
         <th class=\"num\">Launches</th><th class=\"num\">Unique users</th></tr></thead>\n<tbody>\n",
    );
    for day in &report.days {
        let _ = writeln!(
            page,
            "<tr data-day=\"{day}\" data-launches=\"{l}\" data-unique-users=\"{u}\"><td>{day}</td>\
             <td class=\"num\">{}</td><td class=\"num\">{}</td></tr>",
            thousands(day.launches),
            thousands(day.unique_users),
            day = escape(&day.day),
            l = day.launches,
            u = day.unique_users,
        );
    }
    page.push_str("</tbody>\n</table>\n</details>\n</section>\n");

    top_apps(&mut page, report, top);
    inactive_apps(&mut page, report, top);
    deleted_apps(&mut page, report, top);

    page.push_str(
        "<footer>\n<p>Launches: audit records with operation LaunchPowerApp in the range. \
         Unique users: distinct users (UPNs compared without letter case) over the whole range, \
         not a sum of days. Last launched: the newest launch ever stored, in the range or not. \
         Inactive: launched before the range, not in it, and not deleted. Times are UTC.</p>\n\
         <p>The JSON report of the same range (the <code>audit-report</code> function without \
         <code>\"format\": \"html\"</code>) has every app and the same numbers.</p>\n</footer>\n\
         </main>\n</body>\n</html>\n",
    );
    page
}

fn top_apps(page: &mut String, report: &Report, top: usize) {
    page.push_str("<section>\n<h2>Top apps by launches</h2>\n");
    if report.apps.is_empty() {
        page.push_str("<p id=\"no-launches\">No launches in this range.</p>\n</section>\n");
        return;
    }
    let max = report.apps.iter().map(|a| a.launches).max().unwrap_or(0);
    page.push_str(
        "<table id=\"top-apps\">\n<thead><tr><th class=\"num\">#</th><th>App</th>\
         <th class=\"num\">Launches</th><th></th><th class=\"num\">Unique users</th>\
         <th>Last launched (UTC)</th></tr></thead>\n<tbody>\n",
    );
    for (rank, app) in report.apps.iter().take(top).enumerate() {
        app_row(page, rank + 1, app, max);
    }
    page.push_str("</tbody>\n</table>\n");
    let rest = &report.apps[report.apps.len().min(top)..];
    if !rest.is_empty() {
        let launches: u64 = rest.iter().map(|a| a.launches).sum();
        let _ = writeln!(
            page,
            "<p class=\"more\" id=\"more-apps\" data-apps=\"{n}\" data-launches=\"{launches}\">\
             {} more apps, {} launches.</p>",
            thousands(rest.len() as u64),
            thousands(launches),
            n = rest.len(),
        );
    }
    page.push_str("</section>\n");
}

fn app_row(page: &mut String, rank: usize, app: &AppUsage, max: u64) {
    let _ = writeln!(
        page,
        "<tr class=\"app\" data-app-id=\"{id}\" data-launches=\"{l}\" data-unique-users=\"{u}\" \
         data-last-launched=\"{last}\"><td class=\"num\">{rank}</td><td class=\"name\">{name}{deleted}\
         <span class=\"id\">{id}</span></td><td class=\"num\">{launches}</td>\
         <td><meter min=\"0\" max=\"{max}\" value=\"{l}\"></meter></td><td class=\"num\">{users}</td>\
         <td>{last_cell}</td></tr>",
        id = escape(&app.app_id),
        l = app.launches,
        u = app.unique_users,
        last = escape(app.last_launched.as_deref().unwrap_or("")),
        name = name_of(app.app_name.as_deref()),
        deleted = if app.deleted {
            " <span class=\"badge\">deleted</span>"
        } else {
            ""
        },
        launches = thousands(app.launches),
        users = thousands(app.unique_users),
        last_cell = time_cell(app.last_launched.as_deref()),
    );
}

fn inactive_apps(page: &mut String, report: &Report, top: usize) {
    let apps = &report.inactive_apps;
    let _ = writeln!(
        page,
        "<section>\n<h2>Inactive apps</h2>\n<p class=\"muted\">Launched before {}, not since: \
         candidates for clean-up, least recently used first.</p>",
        escape(&report.from)
    );
    if apps.is_empty() {
        page.push_str("<p>None.</p>\n</section>\n");
        return;
    }
    page.push_str(
        "<table id=\"inactive-apps\">\n<thead><tr><th>App</th><th>Last launched (UTC)</th></tr>\
         </thead>\n<tbody>\n",
    );
    for app in apps.iter().take(top) {
        let _ = writeln!(
            page,
            "<tr data-app-id=\"{id}\" data-last-launched=\"{last}\"><td class=\"name\">{name}\
             <span class=\"id\">{id}</span></td><td>{cell}</td></tr>",
            id = escape(&app.app_id),
            last = escape(&app.last_launched),
            name = name_of(app.app_name.as_deref()),
            cell = time_cell(Some(&app.last_launched)),
        );
    }
    page.push_str("</tbody>\n</table>\n");
    more_line(page, "more-inactive-apps", apps.len(), top, "inactive apps");
    page.push_str("</section>\n");
}

fn deleted_apps(page: &mut String, report: &Report, top: usize) {
    let apps = &report.deleted_apps;
    page.push_str("<section>\n<h2>Deleted apps</h2>\n<p class=\"muted\">Deleted in this range, most recent first.</p>\n");
    if apps.is_empty() {
        page.push_str("<p>None.</p>\n</section>\n");
        return;
    }
    page.push_str(
        "<table id=\"deleted-apps\">\n<thead><tr><th>App</th><th>Deleted (UTC)</th>\
         <th>Last launched (UTC)</th></tr></thead>\n<tbody>\n",
    );
    for app in apps.iter().take(top) {
        let _ = writeln!(
            page,
            "<tr data-app-id=\"{id}\" data-deleted-at=\"{at}\"><td class=\"name\">{name}\
             <span class=\"id\">{id}</span></td><td>{deleted}</td><td>{last}</td></tr>",
            id = escape(&app.app_id),
            at = escape(&app.deleted_at),
            name = name_of(app.app_name.as_deref()),
            deleted = time_cell(Some(&app.deleted_at)),
            last = time_cell(app.last_launched.as_deref()),
        );
    }
    page.push_str("</tbody>\n</table>\n");
    more_line(page, "more-deleted-apps", apps.len(), top, "deleted apps");
    page.push_str("</section>\n");
}

fn more_line(page: &mut String, id: &str, len: usize, top: usize, what: &str) {
    if len > top {
        let rest = len - top;
        let _ = writeln!(
            page,
            "<p class=\"more\" id=\"{id}\" data-apps=\"{rest}\">{} more {what}; the JSON report \
             lists them all.</p>",
            thousands(rest as u64)
        );
    }
}

/// The gridline step and the top of the axis for values up to `max`: a round step (1, 2 or 5
/// times a power of ten) and at most five steps, so the tallest bar fills most of the chart.
fn axis_scale(max: u64) -> (u64, u64) {
    let mut power = 1u64;
    loop {
        for step in [power, 2 * power, 5 * power] {
            let steps = max.div_ceil(step).max(1);
            if steps <= 5 {
                return (step, step * steps);
            }
        }
        power *= 10;
    }
}

struct Plot {
    step: u64,
    ceiling: u64,
    slot: f64,
}

impl Plot {
    fn new(days: &[DayUsage], value: fn(&DayUsage) -> u64) -> Plot {
        let (step, ceiling) = axis_scale(days.iter().map(value).max().unwrap_or(0));
        Plot {
            step,
            ceiling,
            slot: (CHART_WIDTH - PLOT_LEFT - PLOT_RIGHT) / days.len().max(1) as f64,
        }
    }

    fn height(&self) -> f64 {
        CHART_HEIGHT - PLOT_TOP - PLOT_BOTTOM
    }

    fn y(&self, value: u64) -> f64 {
        PLOT_TOP + self.height() * (1.0 - value as f64 / self.ceiling as f64)
    }

    fn x(&self, index: usize) -> f64 {
        PLOT_LEFT + self.slot * index as f64
    }

    /// Gridlines with their values, and a few day labels along the bottom.
    fn axes(&self, svg: &mut String, days: &[DayUsage]) {
        for line in 0..=self.ceiling / self.step {
            let value = line * self.step;
            let y = self.y(value);
            let _ = write!(
                svg,
                "<line class=\"grid\" x1=\"{PLOT_LEFT}\" x2=\"{x2}\" y1=\"{y:.1}\" y2=\"{y:.1}\"/>\
                 <text class=\"axis\" x=\"{tx}\" y=\"{ty:.1}\" text-anchor=\"end\">{label}</text>",
                x2 = CHART_WIDTH - PLOT_RIGHT,
                tx = PLOT_LEFT - 6.0,
                ty = y + 4.0,
                label = thousands(value),
            );
        }
        // At most about ten labels whatever the range; the last day gets one unless it would
        // crowd the label before it.
        let every = days.len().div_ceil(10).max(1);
        let last = days.len().saturating_sub(1);
        for (index, day) in days.iter().enumerate() {
            let labelled =
                index % every == 0 || (index == last && last % every >= every.div_ceil(2));
            if !labelled {
                continue;
            }
            // A label centred on a narrow last slot would run past the plot's edge.
            let (x, anchor) = if index == last && index > 0 && self.slot < 40.0 {
                (self.x(index) + self.slot, "end")
            } else {
                (self.x(index) + self.slot / 2.0, "middle")
            };
            let _ = write!(
                svg,
                "<text class=\"axis\" x=\"{x:.1}\" y=\"{y}\" text-anchor=\"{anchor}\">{label}</text>",
                y = CHART_HEIGHT - 8.0,
                label = escape(day.day.get(5..).unwrap_or(&day.day)),
            );
        }
    }
}

fn svg_open(id: &str, labelled_by: &str) -> String {
    format!(
        "<svg class=\"chart\" id=\"{id}\" role=\"img\" aria-labelledby=\"{labelled_by}\" \
         viewBox=\"0 0 {CHART_WIDTH} {CHART_HEIGHT}\" xmlns=\"http://www.w3.org/2000/svg\">"
    )
}

/// Launches per day as bars, each with its day and value in a tooltip and `data-*`.
fn bar_chart(id: &str, labelled_by: &str, days: &[DayUsage]) -> String {
    let plot = Plot::new(days, |d| d.launches);
    let mut svg = svg_open(id, labelled_by);
    plot.axes(&mut svg, days);
    let gap = if plot.slot > 4.0 {
        plot.slot * 0.2
    } else {
        0.0
    };
    for (index, day) in days.iter().enumerate() {
        let y = plot.y(day.launches);
        let _ = write!(
            svg,
            "<rect class=\"bar\" data-day=\"{d}\" data-value=\"{v}\" x=\"{x:.2}\" y=\"{y:.2}\" \
             width=\"{w:.2}\" height=\"{h:.2}\"><title>{d}: {n} launches</title></rect>",
            d = escape(&day.day),
            v = day.launches,
            x = plot.x(index) + gap / 2.0,
            w = (plot.slot - gap).max(0.5),
            h = PLOT_TOP + plot.height() - y,
            n = thousands(day.launches),
        );
    }
    svg.push_str("</svg>\n");
    svg
}

/// Unique users per day as a line with a point per day.
fn line_chart(id: &str, labelled_by: &str, days: &[DayUsage]) -> String {
    let plot = Plot::new(days, |d| d.unique_users);
    let mut svg = svg_open(id, labelled_by);
    plot.axes(&mut svg, days);
    let points: Vec<String> = days
        .iter()
        .enumerate()
        .map(|(index, day)| {
            format!(
                "{:.2},{:.2}",
                plot.x(index) + plot.slot / 2.0,
                plot.y(day.unique_users)
            )
        })
        .collect();
    let _ = write!(
        svg,
        "<polyline class=\"line\" points=\"{}\"/>",
        points.join(" ")
    );
    let radius = (plot.slot / 3.0).clamp(1.5, 4.0);
    for (index, day) in days.iter().enumerate() {
        let _ = write!(
            svg,
            "<circle class=\"dot\" data-day=\"{d}\" data-value=\"{v}\" cx=\"{x:.2}\" cy=\"{y:.2}\" \
             r=\"{radius:.1}\"><title>{d}: {n} unique users</title></circle>",
            d = escape(&day.day),
            v = day.unique_users,
            x = plot.x(index) + plot.slot / 2.0,
            y = plot.y(day.unique_users),
            n = thousands(day.unique_users),
        );
    }
    svg.push_str("</svg>\n");
    svg
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::{DeletedApp, InactiveApp, Totals};

    fn app(id: &str, name: Option<&str>, launches: u64, users: u64) -> AppUsage {
        AppUsage {
            app_id: id.into(),
            app_name: name.map(str::to_string),
            launches,
            unique_users: users,
            last_launched: Some("2026-11-02T10:00:00Z".into()),
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
            &report(vec![
                app("a\"1", Some(evil), 2000, 40),
                app("b1", Some("x"), 3, 2),
            ]),
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
        assert_eq!(escape("<&>\"'"), "&lt;&amp;&gt;&quot;&#39;");
    }

    #[test]
    fn every_total_and_app_number_is_on_the_page() {
        let r = report(vec![
            app("a1", Some("Expenses"), 1234, 40),
            app("b2", None, 9, 2),
        ]);
        let page = render(&r, &HtmlOptions::default());
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
            &report(vec![app("a1", None, 1300, 1)]),
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
        let page = render(&report(apps), &HtmlOptions::default());
        assert_eq!(page.matches("<tr class=\"app\"").count(), 50);
        assert!(page.contains(&format!(
            "id=\"more-apps\" data-apps=\"4950\" data-launches=\"{rest}\">4,950 more apps, {} launches.",
            thousands(rest)
        )));
        assert!(page.len() < 200_000, "{} bytes", page.len());

        let small = render(
            &report(vec![app("a", None, 1250, 1), app("b", None, 1, 1)]),
            &HtmlOptions {
                top: 1,
                generated_at: Some("2026-11-24T06:00:00Z".into()),
            },
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
        let page = render(&r, &HtmlOptions::default());
        assert!(page.contains("No launches in this range."));
        assert_eq!(page.matches("<rect class=\"bar\"").count(), 2);
        assert!(!page.contains("NaN") && !page.contains("=\"inf"));
    }

    #[test]
    fn numbers_read_well() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1000), "1,000");
        assert_eq!(thousands(1234567), "1,234,567");
        assert_eq!(axis_scale(0), (1, 1));
        assert_eq!(axis_scale(5), (1, 5));
        assert_eq!(axis_scale(6), (2, 6));
        assert_eq!(axis_scale(37), (10, 40));
        assert_eq!(axis_scale(223), (50, 250));
        assert_eq!(axis_scale(2119), (500, 2500));
        assert_eq!(axis_scale(64_999), (20_000, 80_000));
    }
}
