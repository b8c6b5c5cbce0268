//! How the tables write figures: Markdown tables, rates, megabytes, seconds, ratios, and whether
//! a target was met.

use std::fmt::Write;

pub use audit_core::report::html::thousands;

/// A Markdown table, the first column left-aligned and the figures right-aligned.
pub fn table(out: &mut String, headers: &[&str], rows: &[Vec<String>]) {
    let _ = writeln!(out, "| {} |", headers.join(" | "));
    let _ = writeln!(
        out,
        "|{}",
        headers
            .iter()
            .enumerate()
            .map(|(i, _)| if i == 0 { "---|" } else { "---:|" })
            .collect::<String>()
    );
    for row in rows {
        let _ = writeln!(out, "| {} |", row.join(" | "));
    }
    out.push('\n');
}

/// A rate rounded to a whole number; a dash where there is none (nothing was timed).
pub fn rate(n: f64) -> String {
    if !n.is_finite() {
        return "–".into();
    }
    thousands(n.round() as u64)
}

pub fn mb(bytes: f64) -> String {
    format!("{:.1}", bytes / 1e6)
}

/// Two decimals below ten seconds, one above: three significant figures either way.
pub fn secs(s: f64) -> String {
    if s < 10.0 {
        format!("{s:.2}")
    } else {
        format!("{s:.1}")
    }
}

pub fn ratio(a: f64, b: f64) -> String {
    if b > 0.0 && a.is_finite() && b.is_finite() {
        format!("{:.1}×", a / b)
    } else {
        "–".into()
    }
}

pub fn met(ok: bool) -> &'static str {
    if ok { "**met**" } else { "**not met**" }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_read_well() {
        assert_eq!(thousands(1_234_567), "1,234,567");
        assert_eq!(rate(f64::NAN), "–");
        assert_eq!(rate(1234.6), "1,235");
        assert_eq!(ratio(10.0, 4.0), "2.5×");
        assert_eq!(ratio(1.0, 0.0), "–");
        assert_eq!(secs(1.234), "1.23");
        assert_eq!(secs(12.34), "12.3");
    }

    #[test]
    fn tables_are_markdown() {
        let mut out = String::new();
        table(&mut out, &["a", "b"], &[vec!["1".into(), "2".into()]]);
        assert_eq!(out, "| a | b |\n|---|---:|\n| 1 | 2 |\n\n");
    }
}
