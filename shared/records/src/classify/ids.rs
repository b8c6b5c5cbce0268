//! Ids as records spell them: the GUID shape, the one form an app id is stored in,
//! and the path segments of the portal URLs that carry ids.

/// GUIDs are lower-cased so that an app is one key whichever shape named it.
pub(super) fn normalize_id(id: &str) -> String {
    if is_guid(id) {
        id.to_ascii_lowercase()
    } else {
        id.to_owned()
    }
}

/// `xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx`, hex digits in any case.
pub(super) fn is_guid(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 36
        && b.iter().enumerate().all(|(i, c)| match i {
            8 | 13 | 18 | 23 => *c == b'-',
            _ => c.is_ascii_hexdigit(),
        })
}

/// The path segment following the last `marker` in `url` (`.../flows/<this>/details`).
pub(super) fn path_segment_after<'u>(url: &'u str, marker: &str) -> Option<&'u str> {
    let start = url.rfind(marker)? + marker.len();
    let rest = &url[start..];
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    Some(&rest[..end])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn guid_shape() {
        assert!(is_guid("baa1c6f1-404b-4eaf-962a-01dec28753f8"));
        assert!(is_guid("BAA1C6F1-404B-4EAF-962A-01DEC28753F8"));
        assert!(!is_guid("baa1c6f1-404b-4eaf-962a-01dec28753f"));
        assert!(!is_guid("baa1c6f1x404b-4eaf-962a-01dec28753f8"));
        assert!(!is_guid("gaa1c6f1-404b-4eaf-962a-01dec28753f8"));
        assert!(!is_guid(""));
    }

    #[test]
    fn segments_after_markers() {
        let url = "https://make.powerautomate.com/environments/Default-7d2b/flows/CAFDD23A-bba6-4b36-b1a0-161891166863/details?x=1";
        assert_eq!(
            path_segment_after(url, "/flows/"),
            Some("CAFDD23A-bba6-4b36-b1a0-161891166863")
        );
        assert_eq!(
            path_segment_after(url, "/environments/"),
            Some("Default-7d2b")
        );
        assert_eq!(path_segment_after("https://x/flows/", "/flows/"), Some(""));
        assert_eq!(path_segment_after("https://x/apps/1", "/flows/"), None);
    }
}
