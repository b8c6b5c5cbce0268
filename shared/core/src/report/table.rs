//! The report as a plain-text table, for the function's command-line run in a terminal.

use std::fmt::Write as _;

use super::{AppUsage, Report};

/// The report as a plain-text table for terminals.
pub fn render_table(report: &Report) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "Power Apps usage, {} to {} (UTC)",
        report.from, report.to
    );
    let _ = writeln!(
        out,
        "{} launches by {} unique users across {} apps",
        report.totals.launches, report.totals.unique_users, report.totals.apps
    );
    if report.apps.is_empty() {
        let _ = writeln!(out, "\nNo launches in this range.");
        return out;
    }
    let name_width = report
        .apps
        .iter()
        .map(|a| display_name(a).chars().count())
        .max()
        .unwrap_or(0)
        .clamp(8, 40);
    let _ = writeln!(
        out,
        "\n{:<name_width$}  {:>8}  {:>12}  {:<20}  App id",
        "App", "Launches", "Unique users", "Last launched"
    );
    let _ = writeln!(out, "{}", "-".repeat(name_width + 82));
    for app in &report.apps {
        let name: String = display_name(app).chars().take(name_width).collect();
        let _ = writeln!(
            out,
            "{:<name_width$}  {:>8}  {:>12}  {:<20}  {}{}",
            name,
            app.launches,
            app.unique_users,
            app.last_launched.as_deref().unwrap_or("-"),
            app.app_id,
            if app.deleted { "  (deleted)" } else { "" }
        );
    }
    out
}

fn display_name(app: &AppUsage) -> &str {
    app.app_name.as_deref().unwrap_or("(no name)")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::Totals;

    #[test]
    fn the_table_names_every_app() {
        let report = Report {
            from: "2026-11-01".into(),
            to: "2026-11-02".into(),
            apps: vec![AppUsage {
                app_id: "a1".into(),
                app_name: Some("Expenses".into()),
                launches: 12,
                unique_users: 3,
                last_launched: Some("2026-11-02T10:00:00Z".into()),
                deleted: true,
                deleted_at: Some("2026-11-02T11:00:00Z".into()),
                by_day: None,
            }],
            totals: Totals {
                launches: 12,
                unique_users: 3,
                apps: 1,
            },
            days: vec![],
            inactive_apps: vec![],
            deleted_apps: vec![],
        };
        let table = render_table(&report);
        assert!(table.contains("12 launches by 3 unique users across 1 apps"));
        assert!(table.contains("Expenses") && table.contains("(deleted)") && table.contains("a1"));
    }
}
