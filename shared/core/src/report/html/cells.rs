//! Pieces the page's tables share: the table frame, an app's name cell and a UTC time.

use std::fmt::Write as _;

use super::escape::escape;

/// Opens a table; `headers` are its `<th>` cells.
pub(super) fn table_open(page: &mut String, id: &str, headers: &str) {
    let _ = write!(
        page,
        "<table id=\"{id}\">\n<thead><tr>{headers}</tr></thead>\n<tbody>\n"
    );
}

pub(super) const TABLE_CLOSE: &str = "</tbody>\n</table>\n";

/// An app's name (or that it has none), `badge` after it, and its id underneath.
pub(super) fn name_cell(name: Option<&str>, badge: &str, id: &str) -> String {
    let name = match name {
        // <bdi>: a right-to-left or direction-override character in one name stays in it.
        Some(name) if !name.trim().is_empty() => format!("<bdi>{}</bdi>", escape(name)),
        _ => "<span class=\"muted\">(no name)</span>".to_string(),
    };
    format!(
        "<td class=\"name\">{name}{badge}<span class=\"id\">{}</span></td>",
        escape(id)
    )
}

/// A stored UTC timestamp, readable, with the exact value in `datetime`.
pub(super) fn time_cell(timestamp: Option<&str>) -> String {
    match timestamp {
        Some(t) => format!(
            "<time datetime=\"{}\">{}</time>",
            escape(t),
            escape(&t.replacen('T', " ", 1).replace('Z', ""))
        ),
        None => "<span class=\"muted\">never</span>".to_string(),
    }
}
