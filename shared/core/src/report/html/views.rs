//! The page's sections beyond the apps: environments, top launchers, Copilot Studio agents and
//! flows. Each row carries its numbers in `data-*` attributes, as the app rows do.

use std::fmt::Write as _;

use super::cells::{TABLE_CLOSE, name_cell, table_open, time_cell};
use super::escape::escape;
use super::number::thousands;
use crate::report::view::agents::AgentUsage;
use crate::report::view::environments::EnvironmentUsage;
use crate::report::view::flows::FlowUsage;
use crate::report::view::users::UserUsage;
use crate::report::{AgentsReport, EnvironmentsReport, FlowsReport, UsersReport};

/// Opens a section; an empty one says `empty` and is closed at once (returns `false`).
fn section(page: &mut String, id: &str, title: &str, note: &str, rows: usize, empty: &str) -> bool {
    let _ = writeln!(
        page,
        "<section id=\"{id}\">\n<h2>{title}</h2>\n<p class=\"muted\">{note}</p>"
    );
    if rows == 0 {
        let _ = writeln!(page, "<p>{empty}</p>\n</section>");
        return false;
    }
    true
}

fn close(page: &mut String, listed: usize, all: usize, id: &str, what: &str) {
    page.push_str(TABLE_CLOSE);
    if all > listed {
        let _ = writeln!(
            page,
            "<p class=\"more\" id=\"more-{id}\" data-rows=\"{rest}\">{} more {what}; the JSON \
             view lists them.</p>",
            thousands((all - listed) as u64),
            rest = all - listed,
        );
    }
    page.push_str("</section>\n");
}

pub(super) fn environments(page: &mut String, report: &EnvironmentsReport, top: usize) {
    let rows = &report.environments;
    let note = "Launches and distinct users of each environment's canvas apps in the range.";
    if !section(
        page,
        "environments",
        "Environments",
        note,
        rows.len(),
        "No launches in this range.",
    ) {
        return;
    }
    table_open(
        page,
        "environments-table",
        "<th>Environment</th><th class=\"num\">Launches</th><th class=\"num\">Unique users</th>\
         <th class=\"num\">Active apps</th>",
    );
    for env in rows.iter().take(top) {
        environment_row(page, env);
    }
    close(
        page,
        rows.len().min(top),
        rows.len(),
        "environments",
        "environments",
    );
}

fn environment_row(page: &mut String, env: &EnvironmentUsage) {
    let id = env.environment_id.as_deref().unwrap_or("");
    let shown = if id.is_empty() { "(none named)" } else { id };
    let _ = writeln!(
        page,
        "<tr class=\"environment\" data-environment-id=\"{id}\" data-launches=\"{l}\" \
         data-unique-users=\"{u}\" data-active-apps=\"{a}\">{name}<td class=\"num\">{launches}</td>\
         <td class=\"num\">{users}</td><td class=\"num\">{apps}</td></tr>",
        id = escape(id),
        l = env.launches,
        u = env.unique_users,
        a = env.active_apps,
        name = name_cell(env.environment_name.as_deref(), "", shown),
        launches = thousands(env.launches),
        users = thousands(env.unique_users),
        apps = thousands(env.active_apps),
    );
}

pub(super) fn top_launchers(page: &mut String, report: &UsersReport, top: usize) {
    let rows = &report.users;
    let note =
        "The people who launched apps most in the range (UPNs compared without letter case).";
    if !section(
        page,
        "top-launchers",
        "Top launchers",
        note,
        rows.len(),
        "No launches in this range.",
    ) {
        return;
    }
    table_open(
        page,
        "top-launchers-table",
        "<th>User</th><th class=\"num\">Launches</th><th class=\"num\">Apps</th>\
         <th>Last launched (UTC)</th>",
    );
    for user in rows.iter().take(top) {
        launcher_row(page, user);
    }
    close(
        page,
        rows.len().min(top),
        report.totals.users as usize,
        "top-launchers",
        "users",
    );
}

fn launcher_row(page: &mut String, user: &UserUsage) {
    let _ = writeln!(
        page,
        "<tr class=\"launcher\" data-user=\"{u}\" data-launches=\"{l}\" data-apps=\"{a}\" \
         data-last-launched=\"{last}\"><td class=\"name\"><bdi>{u}</bdi></td>\
         <td class=\"num\">{launches}</td><td class=\"num\">{apps}</td><td>{cell}</td></tr>",
        u = escape(&user.user),
        l = user.launches,
        a = user.apps,
        last = escape(user.last_launched.as_deref().unwrap_or("")),
        launches = thousands(user.launches),
        apps = thousands(user.apps),
        cell = time_cell(user.last_launched.as_deref()),
    );
}

pub(super) fn agents(page: &mut String, report: &AgentsReport, top: usize) {
    let rows = &report.agents;
    let note = "Copilot Studio agents by turns in the range; Microsoft 365 Copilot's own turns \
                are not agents and are not counted.";
    if section(
        page,
        "agents",
        "Copilot Studio agents",
        note,
        rows.len(),
        "No agent turns in this range.",
    ) {
        table_open(
            page,
            "agents-table",
            "<th>Agent</th><th class=\"num\">Turns</th><th class=\"num\">Conversations</th>\
             <th class=\"num\">Unique users</th><th>Last used (UTC)</th>",
        );
        for agent in rows.iter().take(top) {
            agent_row(page, agent);
        }
        close(page, rows.len().min(top), rows.len(), "agents", "agents");
    }
    let inactive = &report.inactive_agents;
    let note = "Used before the range, not in it, and not deleted, least recently used first.";
    if section(
        page,
        "inactive-agents",
        "Inactive agents",
        note,
        inactive.len(),
        "None.",
    ) {
        table_open(
            page,
            "inactive-agents-table",
            "<th>Agent</th><th>Last used (UTC)</th>",
        );
        for agent in inactive.iter().take(top) {
            let _ = writeln!(
                page,
                "<tr data-agent-id=\"{id}\" data-last-used=\"{last}\">{name}<td>{cell}</td></tr>",
                id = escape(&agent.agent_id),
                last = escape(&agent.last_used),
                name = name_cell(agent.agent_name.as_deref(), "", &agent.agent_id),
                cell = time_cell(Some(&agent.last_used)),
            );
        }
        close(
            page,
            inactive.len().min(top),
            inactive.len(),
            "inactive-agents",
            "agents",
        );
    }
}

fn agent_row(page: &mut String, agent: &AgentUsage) {
    let badge = if agent.deleted {
        " <span class=\"badge\">deleted</span>"
    } else {
        ""
    };
    let _ = writeln!(
        page,
        "<tr class=\"agent\" data-agent-id=\"{id}\" data-interactions=\"{i}\" \
         data-conversations=\"{c}\" data-unique-users=\"{u}\" data-last-used=\"{last}\" \
         data-deleted=\"{deleted}\">{name}<td class=\"num\">{turns}</td>\
         <td class=\"num\">{conversations}</td><td class=\"num\">{users}</td><td>{cell}</td></tr>",
        id = escape(&agent.agent_id),
        i = agent.interactions,
        c = agent.conversations,
        u = agent.unique_users,
        last = escape(agent.last_used.as_deref().unwrap_or("")),
        deleted = agent.deleted,
        name = name_cell(agent.agent_name.as_deref(), badge, &agent.agent_id),
        turns = thousands(agent.interactions),
        conversations = thousands(agent.conversations),
        users = thousands(agent.unique_users),
        cell = time_cell(agent.last_used.as_deref()),
    );
}

pub(super) fn flows(page: &mut String, report: &FlowsReport, top: usize) {
    let rows = &report.flows;
    let note = format!(
        "Flows created, edited or deleted in the range, most recently modified first. {}",
        escape(&report.note)
    );
    if !section(
        page,
        "flows",
        "Flows",
        &note,
        rows.len(),
        "No flow changes in this range.",
    ) {
        return;
    }
    table_open(
        page,
        "flows-table",
        "<th>Flow</th><th>Created (UTC)</th><th>Last modified (UTC)</th>\
         <th class=\"num\">Edits</th><th class=\"num\">Makers</th>",
    );
    for flow in rows.iter().take(top) {
        flow_row(page, flow);
    }
    close(page, rows.len().min(top), rows.len(), "flows", "flows");
}

fn flow_row(page: &mut String, flow: &FlowUsage) {
    let badge = if flow.deleted {
        " <span class=\"badge\">deleted</span>"
    } else {
        ""
    };
    let _ = writeln!(
        page,
        "<tr class=\"flow\" data-flow-id=\"{id}\" data-edits=\"{e}\" data-makers=\"{m}\" \
         data-created=\"{created}\" data-last-modified=\"{modified}\" data-deleted=\"{deleted}\">\
         {name}<td>{created_cell}</td><td>{modified_cell}</td><td class=\"num\">{edits}</td>\
         <td class=\"num\" title=\"{makers}\">{maker_count}</td></tr>",
        id = escape(&flow.flow_id),
        e = flow.edits,
        m = flow.makers.len(),
        created = escape(flow.created.as_deref().unwrap_or("")),
        modified = escape(flow.last_modified.as_deref().unwrap_or("")),
        deleted = flow.deleted,
        name = name_cell(flow.flow_name.as_deref(), badge, &flow.flow_id),
        created_cell = time_cell(flow.created.as_deref()),
        modified_cell = time_cell(flow.last_modified.as_deref()),
        edits = thousands(flow.edits),
        makers = escape(&flow.makers.join(", ")),
        maker_count = thousands(flow.makers.len() as u64),
    );
}
