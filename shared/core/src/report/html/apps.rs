//! The page's app tables: the top apps by launches, the inactive apps and the deleted apps,
//! each listing the first `top` and counting the rest.

use std::fmt::Write as _;

use super::cells::{TABLE_CLOSE, name_cell, table_open, time_cell};
use super::escape::escape;
use super::number::thousands;
use crate::report::{AppUsage, DeletedApp, InactiveApp, Report};

pub(super) fn top_apps(page: &mut String, report: &Report, top: usize) {
    page.push_str("<section>\n<h2>Top apps by launches</h2>\n");
    if report.apps.is_empty() {
        page.push_str("<p id=\"no-launches\">No launches in this range.</p>\n</section>\n");
        return;
    }
    let max = report.apps.iter().map(|a| a.launches).max().unwrap_or(0);
    table_open(
        page,
        "top-apps",
        "<th class=\"num\">#</th><th>App</th><th class=\"num\">Launches</th><th></th>\
         <th class=\"num\">Unique users</th><th>Last launched (UTC)</th>",
    );
    for (rank, app) in report.apps.iter().take(top).enumerate() {
        app_row(page, rank + 1, app, max);
    }
    page.push_str(TABLE_CLOSE);
    more_apps(page, &report.apps[report.apps.len().min(top)..]);
    page.push_str("</section>\n");
}

fn app_row(page: &mut String, rank: usize, app: &AppUsage, max: u64) {
    let badge = if app.deleted {
        " <span class=\"badge\">deleted</span>"
    } else {
        ""
    };
    let _ = writeln!(
        page,
        "<tr class=\"app\" data-app-id=\"{id}\" data-launches=\"{l}\" data-unique-users=\"{u}\" \
         data-last-launched=\"{last}\"><td class=\"num\">{rank}</td>{name}\
         <td class=\"num\">{launches}</td>\
         <td><meter min=\"0\" max=\"{max}\" value=\"{l}\"></meter></td><td class=\"num\">{users}</td>\
         <td>{last_cell}</td></tr>",
        id = escape(&app.app_id),
        l = app.launches,
        u = app.unique_users,
        last = escape(app.last_launched.as_deref().unwrap_or("")),
        name = name_cell(app.app_name.as_deref(), badge, &app.app_id),
        launches = thousands(app.launches),
        users = thousands(app.unique_users),
        last_cell = time_cell(app.last_launched.as_deref()),
    );
}

/// The apps past the top, summed up in one line.
fn more_apps(page: &mut String, rest: &[AppUsage]) {
    if rest.is_empty() {
        return;
    }
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

pub(super) fn inactive_apps(page: &mut String, report: &Report, top: usize) {
    let note = format!(
        "Launched before {}, not since: candidates for clean-up, least recently used first.",
        escape(&report.from)
    );
    let listing = Listing {
        title: "Inactive apps",
        table_id: "inactive-apps",
        headers: "<th>App</th><th>Last launched (UTC)</th>",
        what: "inactive apps",
    };
    listing.write(page, &note, &report.inactive_apps, top, inactive_row);
}

fn inactive_row(app: &InactiveApp) -> String {
    format!(
        "<tr data-app-id=\"{id}\" data-last-launched=\"{last}\">{name}<td>{cell}</td></tr>",
        id = escape(&app.app_id),
        last = escape(&app.last_launched),
        name = name_cell(app.app_name.as_deref(), "", &app.app_id),
        cell = time_cell(Some(&app.last_launched)),
    )
}

pub(super) fn deleted_apps(page: &mut String, report: &Report, top: usize) {
    let listing = Listing {
        title: "Deleted apps",
        table_id: "deleted-apps",
        headers: "<th>App</th><th>Deleted (UTC)</th><th>Last launched (UTC)</th>",
        what: "deleted apps",
    };
    let note = "Deleted in this range, most recent first.";
    listing.write(page, note, &report.deleted_apps, top, deleted_row);
}

fn deleted_row(app: &DeletedApp) -> String {
    format!(
        "<tr data-app-id=\"{id}\" data-deleted-at=\"{at}\">{name}<td>{deleted}</td>\
         <td>{last}</td></tr>",
        id = escape(&app.app_id),
        at = escape(&app.deleted_at),
        name = name_cell(app.app_name.as_deref(), "", &app.app_id),
        deleted = time_cell(Some(&app.deleted_at)),
        last = time_cell(app.last_launched.as_deref()),
    )
}

/// A section of apps to look after: what they are, then a table of the first `top` (or
/// "None."), and how many more the JSON report has.
struct Listing {
    title: &'static str,
    table_id: &'static str,
    headers: &'static str,
    /// The apps in words, for the line that counts the rest.
    what: &'static str,
}

impl Listing {
    fn write<T>(
        &self,
        page: &mut String,
        note: &str,
        apps: &[T],
        top: usize,
        row: fn(&T) -> String,
    ) {
        let _ = writeln!(
            page,
            "<section>\n<h2>{}</h2>\n<p class=\"muted\">{note}</p>",
            self.title
        );
        if apps.is_empty() {
            page.push_str("<p>None.</p>\n</section>\n");
            return;
        }
        table_open(page, self.table_id, self.headers);
        for app in apps.iter().take(top) {
            page.push_str(&row(app));
            page.push('\n');
        }
        page.push_str(TABLE_CLOSE);
        self.more(page, apps.len(), top);
        page.push_str("</section>\n");
    }

    /// Says how many of `len` apps the table left out after the first `top`; nothing if none.
    fn more(&self, page: &mut String, len: usize, top: usize) {
        if len > top {
            let rest = len - top;
            let _ = writeln!(
                page,
                "<p class=\"more\" id=\"more-{id}\" data-apps=\"{rest}\">{} more {what}; the JSON \
                 report lists them all.</p>",
                thousands(rest as u64),
                id = self.table_id,
                what = self.what,
            );
        }
    }
}
