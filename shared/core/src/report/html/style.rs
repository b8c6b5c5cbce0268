//! The page's one stylesheet and the Content-Security-Policy that allows exactly it.

use base64::Engine as _;
use sha2::{Digest, Sha256};

/// Inlined in the page's `<style>` element as it stands in the file: the policy's hash is of
/// these bytes. The page uses attributes rather than `style=""` throughout: a hash-only
/// `style-src` blocks inline style attributes, and the test in Chromium fails on the console
/// error that would cause.
pub(super) const STYLE: &str = include_str!("style.css");

/// The `Content-Security-Policy` of the page: nothing may load but the page's own stylesheet.
pub fn content_security_policy() -> String {
    let hash = base64::engine::general_purpose::STANDARD.encode(Sha256::digest(STYLE.as_bytes()));
    format!(
        "default-src 'none'; style-src 'sha256-{hash}'; img-src data:; base-uri 'none'; form-action 'none'"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_policy_names_the_stylesheet_by_its_hash() {
        let hash = Sha256::digest(include_bytes!("style.css"));
        let hash = base64::engine::general_purpose::STANDARD.encode(hash);
        assert!(content_security_policy().contains(&format!("style-src 'sha256-{hash}'")));
        for fetches in ["@import", "url("] {
            assert!(!STYLE.contains(fetches), "{fetches}");
        }
    }
}
