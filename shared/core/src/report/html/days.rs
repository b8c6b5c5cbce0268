//! The page's per-day sections: launches as bars, unique users as a line, and the numbers
//! behind both in a table that opens on request.

use std::fmt::Write as _;

use super::cells::{TABLE_CLOSE, table_open};
use super::chart::{bar_chart, line_chart};
use super::escape::escape;
use super::number::thousands;
use crate::report::DayUsage;

pub(super) fn sections(page: &mut String, days: &[DayUsage]) {
    let _ = write!(
        page,
        "<section>\n<h2 id=\"launches-title\">Launches per day</h2>\n{}</section>\n",
        bar_chart("chart-launches", "launches-title", days)
    );
    let _ = write!(
        page,
        "<section>\n<h2 id=\"users-title\">Unique users per day</h2>\n\
         <p class=\"muted\">Distinct users that launched any app that day.</p>\n{}",
        line_chart("chart-users", "users-title", days)
    );
    numbers(page, days);
    page.push_str("</section>\n");
}

fn numbers(page: &mut String, days: &[DayUsage]) {
    page.push_str("<details>\n<summary>Numbers per day</summary>\n");
    table_open(
        page,
        "days",
        "<th>Day</th><th class=\"num\">Launches</th><th class=\"num\">Unique users</th>",
    );
    for day in days {
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
    page.push_str(TABLE_CLOSE);
    page.push_str("</details>\n");
}
