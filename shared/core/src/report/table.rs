//! The report as a plain-text table, for the function's command-line run in a terminal.

use std::fmt::Write as _;

use super::{
    AgentsReport, Answer, AppUsage, EnvironmentsReport, FlowsReport, Report, TenantsReport,
    UserAppsReport, UsersReport,
};

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

/// Any view as a plain-text table.
pub fn render_answer_table(answer: &Answer) -> String {
    match answer {
        Answer::Apps(report) => render_table(report),
        Answer::Environments(view) => environments(view),
        Answer::Users(view) => users(view),
        Answer::UserApps(view) => user_apps(view),
        Answer::Agents(view) => agents(view),
        Answer::Flows(view) => flows(view),
        Answer::Tenants(view) => tenants(view),
    }
}

fn tenants(view: &TenantsReport) -> String {
    let mut out = format!("Tenants, {} to {} (UTC)\n", view.from, view.to);
    let t = &view.totals;
    let _ = writeln!(
        out,
        "{} tenants: {} launches by {} users of {} apps",
        view.tenants.len(),
        t.launches,
        t.unique_users,
        t.apps
    );
    let rows = view
        .tenants
        .iter()
        .map(|row| {
            vec![
                or_dash(row.tenant_id.as_deref()),
                match (row.source, &row.removed_at) {
                    (_, Some(_)) => "removed".into(),
                    (crate::tenant::TenantSource::Variables, None) => "variables".into(),
                    (crate::tenant::TenantSource::Registry, None) => "registry".into(),
                },
                row.totals.launches.to_string(),
                row.totals.unique_users.to_string(),
                row.totals.apps.to_string(),
                or_dash(row.last_launched.as_deref()),
            ]
        })
        .collect();
    columns(
        &mut out,
        &[
            "Tenant",
            "Source",
            "Launches",
            "Users",
            "Apps",
            "Last launch",
        ],
        rows,
    );
    out
}

/// Rows of cells, each column as wide as its widest cell (40 characters at most).
fn columns(out: &mut String, header: &[&str], rows: Vec<Vec<String>>) {
    let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for row in &rows {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.chars().count()).min(40);
        }
    }
    let line = |cells: Vec<String>| {
        let cells: Vec<String> = cells
            .into_iter()
            .zip(&widths)
            .map(|(cell, &w)| format!("{:<w$}", cell.chars().take(w).collect::<String>()))
            .collect();
        cells.join("  ").trim_end().to_string()
    };
    let _ = writeln!(
        out,
        "\n{}",
        line(header.iter().map(|h| h.to_string()).collect())
    );
    let _ = writeln!(
        out,
        "{}",
        "-".repeat(widths.iter().sum::<usize>() + 2 * widths.len())
    );
    for row in rows {
        let _ = writeln!(out, "{}", line(row));
    }
}

fn or_dash(value: Option<&str>) -> String {
    value.unwrap_or("-").to_string()
}

fn environments(view: &EnvironmentsReport) -> String {
    let mut out = format!("Environments, {} to {} (UTC)\n", view.from, view.to);
    let t = &view.totals;
    let _ = writeln!(
        out,
        "{} launches by {} unique users across {} apps in {} environments",
        t.launches, t.unique_users, t.active_apps, t.environments
    );
    let rows = view
        .environments
        .iter()
        .map(|e| {
            vec![
                or_dash(e.environment_name.as_deref()),
                e.launches.to_string(),
                e.unique_users.to_string(),
                e.active_apps.to_string(),
                or_dash(e.environment_id.as_deref()),
            ]
        })
        .collect();
    columns(
        &mut out,
        &[
            "Environment",
            "Launches",
            "Unique users",
            "Active apps",
            "Environment id",
        ],
        rows,
    );
    out
}

fn users(view: &UsersReport) -> String {
    let mut out = format!("Top launchers, {} to {} (UTC)\n", view.from, view.to);
    let _ = writeln!(
        out,
        "{} launches by {} users",
        view.totals.launches, view.totals.users
    );
    let rows = view
        .users
        .iter()
        .map(|u| {
            vec![
                u.user.clone(),
                u.launches.to_string(),
                u.apps.to_string(),
                or_dash(u.last_launched.as_deref()),
            ]
        })
        .collect();
    columns(
        &mut out,
        &["User", "Launches", "Apps", "Last launched"],
        rows,
    );
    out
}

fn user_apps(view: &UserAppsReport) -> String {
    let mut out = format!(
        "Apps of {}, {} to {} (UTC)\n",
        view.user, view.from, view.to
    );
    let _ = writeln!(
        out,
        "{} launches of {} apps",
        view.launches,
        view.apps.len()
    );
    let rows = view
        .apps
        .iter()
        .map(|a| {
            vec![
                or_dash(a.app_name.as_deref()),
                a.launches.to_string(),
                or_dash(a.last_launched.as_deref()),
                a.app_id.clone(),
            ]
        })
        .collect();
    columns(
        &mut out,
        &["App", "Launches", "Last launched", "App id"],
        rows,
    );
    out
}

fn agents(view: &AgentsReport) -> String {
    let mut out = format!(
        "Copilot Studio agents, {} to {} (UTC)\n",
        view.from, view.to
    );
    let t = &view.totals;
    let _ = writeln!(
        out,
        "{} turns in {} conversations by {} unique users across {} agents",
        t.interactions, t.conversations, t.unique_users, t.agents
    );
    let rows = view
        .agents
        .iter()
        .map(|a| {
            vec![
                or_dash(a.agent_name.as_deref()),
                a.interactions.to_string(),
                a.conversations.to_string(),
                a.unique_users.to_string(),
                or_dash(a.last_used.as_deref()),
                format!(
                    "{}{}",
                    a.agent_id,
                    if a.deleted { "  (deleted)" } else { "" }
                ),
            ]
        })
        .collect();
    columns(
        &mut out,
        &[
            "Agent",
            "Turns",
            "Conversations",
            "Unique users",
            "Last used",
            "Agent id",
        ],
        rows,
    );
    out
}

fn flows(view: &FlowsReport) -> String {
    let mut out = format!("Flows, {} to {} (UTC)\n", view.from, view.to);
    let t = &view.totals;
    let _ = writeln!(
        out,
        "{} flows changed: {} created, {} edits, {} deleted, by {} makers",
        t.flows, t.created, t.edits, t.deleted, t.makers
    );
    let rows = view
        .flows
        .iter()
        .map(|f| {
            vec![
                f.flow_id.clone(),
                or_dash(f.created.as_deref()),
                or_dash(f.last_modified.as_deref()),
                f.edits.to_string(),
                f.makers.len().to_string(),
                if f.deleted { "yes".into() } else { "".into() },
            ]
        })
        .collect();
    columns(
        &mut out,
        &[
            "Flow id",
            "Created",
            "Last modified",
            "Edits",
            "Makers",
            "Deleted",
        ],
        rows,
    );
    let _ = writeln!(out, "\n{}", view.note);
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
            environment_id: None,
            apps: vec![AppUsage {
                app_id: "a1".into(),
                app_name: Some("Expenses".into()),
                launches: 12,
                unique_users: 3,
                last_launched: Some("2026-11-02T10:00:00Z".into()),
                environment_id: None,
                environment_name: None,
                production: false,
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
