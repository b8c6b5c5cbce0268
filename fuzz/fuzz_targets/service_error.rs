//! Error bodies of any shape (AF codes, diagnostics in `code`, HTML, nothing, binary) become a
//! bounded, displayable error.
#![no_main]

use audit_core::api::{ServiceError, parse_api_time};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let error = ServiceError::from_body(429, data);
    let shown = error.to_string();
    // The message is an excerpt unless the body was a JSON error with its own message.
    assert!(shown.len() < 2 * data.len() + 4096);
    let _ = error.is_transient();
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = parse_api_time(text);
    }
});
