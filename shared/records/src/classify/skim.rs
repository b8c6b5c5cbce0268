//! Deciding from a few top-level fields, without parsing, that a record cannot be kept.
//!
//! Most of an `Audit.General` blob is other workloads, which the default filter drops. For
//! those, a full parse would only confirm what `RecordType`, `Workload` and `Operation`
//! already say. The splitter notes where an element's top-level keys are; this reads those
//! three values straight from the text and asks the filter. Whenever the text is not plain
//! enough to be sure (an escape in a key or value, a key given twice, a value that is not a
//! plain string or integer, a missing required field) the answer is "parse it", so a skimmed
//! record is dropped only where the full classification would not have kept it either.
//!
//! What is given up: a record that is dropped this way is not validated further. Its other
//! values are not checked, so it counts as filtered where a full parse might have rejected
//! it. Nothing of it is stored either way.

use std::ops::Range;

use crate::filter::OperationFilter;

/// Whether the record must be parsed: `false` only when it surely is not kept.
///
/// `keys` are the ranges of the top-level keys in `text` (between their quotes), all of
/// them if `complete`.
#[inline]
pub(crate) fn worth_parsing(
    text: &[u8],
    keys: &[Range<usize>],
    complete: bool,
    filter: &OperationFilter,
) -> bool {
    if matches!(filter, OperationFilter::All) || !complete || text.first() != Some(&b'{') {
        return true;
    }
    let Some(fields) = Fields::read(text, keys) else {
        return true;
    };
    let (Some(operation), Some(workload), Some(record_type)) =
        (fields.operation, fields.workload, fields.record_type)
    else {
        return true;
    };
    // Unknown PropertyCollection and agent fields: assume they would say "keep".
    filter.keeps(operation, workload, record_type, || true, || true)
}

/// The skimmed values. `None` where a field is absent or not plain.
#[derive(Default)]
struct Fields<'a> {
    operation: Option<&'a str>,
    workload: Option<&'a str>,
    record_type: Option<i64>,
}

impl<'a> Fields<'a> {
    /// `None` when the record must be parsed to be judged.
    fn read(text: &'a [u8], keys: &[Range<usize>]) -> Option<Self> {
        let mut fields = Fields::default();
        let (mut id, mut time, mut operation, mut workload) = (false, false, false, false);
        let mut record_type = false;
        for key in keys {
            let name = &text[key.clone()];
            let slot = match name {
                b"Id" => &mut id,
                b"CreationTime" => &mut time,
                b"RecordType" => &mut record_type,
                b"Operation" => &mut operation,
                b"Workload" => &mut workload,
                // An escaped key might spell one of those.
                _ if name.contains(&b'\\') => return None,
                _ => continue,
            };
            // Given twice: the parse decides which one counts.
            if std::mem::replace(slot, true) {
                return None;
            }
            let value = value_at(text, key.end + 1)?;
            match name {
                b"RecordType" => fields.record_type = Some(integer(value)?),
                b"Operation" => fields.operation = Some(plain_string(value)?),
                b"Workload" => fields.workload = Some(plain_string(value)?),
                _ => {}
            }
        }
        // A record without these is rejected, which only the parse says with the reason.
        if !(id && time && record_type) {
            return None;
        }
        // An absent Operation or Workload reads as empty, as the parse takes it.
        fields.operation.get_or_insert("");
        fields.workload.get_or_insert("");
        Some(fields)
    }
}

/// The text from a value's first byte, given the index just past its key's closing quote.
fn value_at(text: &[u8], mut at: usize) -> Option<&[u8]> {
    let skip_space = |at: &mut usize| {
        while matches!(text.get(*at), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            *at += 1;
        }
    };
    skip_space(&mut at);
    if text.get(at) != Some(&b':') {
        return None;
    }
    at += 1;
    skip_space(&mut at);
    text.get(at..)
}

/// A string without escapes, as `&str`.
fn plain_string(value: &[u8]) -> Option<&str> {
    let rest = value.strip_prefix(b"\"")?;
    let end = memchr::memchr2(b'"', b'\\', rest)?;
    if rest[end] != b'"' {
        return None;
    }
    std::str::from_utf8(&rest[..end]).ok()
}

/// An integer as JSON writes one (no fraction or exponent), followed by the end of the value.
fn integer(value: &[u8]) -> Option<i64> {
    let digits_from = usize::from(value.first() == Some(&b'-'));
    let len = value[digits_from..]
        .iter()
        .take_while(|b| b.is_ascii_digit())
        .count();
    let end = digits_from + len;
    let leading_zero = len > 1 && value[digits_from] == b'0';
    if len == 0
        || leading_zero
        || !matches!(
            value.get(end),
            Some(b',' | b'}' | b' ' | b'\t' | b'\n' | b'\r')
        )
    {
        return None;
    }
    std::str::from_utf8(&value[..end]).ok()?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys_of(text: &str) -> Vec<Range<usize>> {
        // Top-level keys of a flat object, found the way a reader would, for these tests.
        let value: serde_json::Map<String, serde_json::Value> = serde_json::from_str(text).unwrap();
        value
            .keys()
            .map(|k| {
                let start = text.find(&format!("\"{k}\"")).unwrap() + 1;
                start..start + k.len()
            })
            .collect()
    }

    fn worth(text: &str) -> bool {
        worth_parsing(
            text.as_bytes(),
            &keys_of(text),
            true,
            &OperationFilter::PowerPlatform,
        )
    }

    #[test]
    fn other_workloads_are_skimmed_and_power_platform_is_parsed() {
        let base = r#""Id":"1","CreationTime":"2026-01-01T00:00:00""#;
        assert!(!worth(&format!(
            r#"{{{base},"RecordType":15,"Workload":"AzureActiveDirectory","Operation":"UserLoggedIn"}}"#
        )));
        assert!(worth(&format!(
            r#"{{{base},"RecordType":256,"Workload":"x","Operation":"y"}}"#
        )));
        assert!(worth(&format!(
            r#"{{{base},"RecordType" : 15 ,"Workload": "powerapps"}}"#
        )));
        // Not plain: parsed.
        assert!(worth(&format!(
            r#"{{{base},"RecordType":15,"Workload":"Power\u0041pps"}}"#
        )));
        assert!(worth(&format!(
            r#"{{{base},"RecordType":1.5e1,"Workload":"Exchange"}}"#
        )));
        assert!(worth(r#"{"Id":"1","RecordType":15,"Workload":"Exchange"}"#));
    }

    #[test]
    fn integers_are_read_as_json_writes_them() {
        assert_eq!(integer(b"256,"), Some(256));
        assert_eq!(integer(b"-3}"), Some(-3));
        assert_eq!(integer(b"0 "), Some(0));
        assert_eq!(integer(b"012,"), None);
        assert_eq!(integer(b"12.0,"), None);
        assert_eq!(integer(b"12e1,"), None);
        assert_eq!(integer(b"99999999999999999999,"), None);
        assert_eq!(integer(b"12"), None);
    }
}
