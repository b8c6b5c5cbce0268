//! Function input of any shape: parsed into a request or refused with an input error.
#![no_main]

#[path = "../../shared/lambda/tests/refusals/mod.rs"]
mod refusals;

use audit_lambda::parse_event;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let Ok(event) = parse_event(text) else { return };
    for error in refusals::refusals(&event) {
        assert_eq!(error.error_type, "InputError");
    }
});
