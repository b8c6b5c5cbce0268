//! Function input of any shape: parsed into a request or refused with an input error.
#![no_main]

use audit_core::config::ContentType;
use audit_core::report::ReportRequest;
use audit_core::subscription::Request;
use audit_core::sync::Mode;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let Ok(event) = audit_core::runtime::parse_event(text) else { return };
    for result in [
        Request::parse(event.clone(), &[ContentType::GENERAL]).err(),
        Mode::parse(event.clone()).err(),
        ReportRequest::parse(event, time::macros::date!(2026 - 11 - 24)).err(),
    ]
    .into_iter()
    .flatten()
    {
        assert_eq!(result.error_type, "InputError");
    }
});
