//! The cards at the top of the page: the report's totals and how many apps need looking after.

use std::fmt::Write as _;

use super::number::thousands;
use crate::report::Report;

pub(super) fn cards(page: &mut String, report: &Report) {
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
}
