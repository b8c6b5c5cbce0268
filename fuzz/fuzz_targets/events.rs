//! Function input of any shape: parsed into a request or refused with an input error.
#![no_main]

use audit_core::config::ContentType;
use audit_core::report::{ReportEvent, ReportRequest};
use audit_core::subscription::{Request, SubscriptionEvent};
use audit_core::sync::{Mode, SyncEvent};
use audit_lambda::{ErrorReply, decode, parse_event};
use libfuzzer_sys::fuzz_target;
use serde_json::Value;

fn refusal<E, T, F>(event: &Value, request: impl FnOnce(E) -> Result<T, F>) -> Option<ErrorReply>
where
    E: serde::de::DeserializeOwned,
    ErrorReply: From<F>,
{
    match decode::<E>(event.clone()) {
        Ok(event) => request(event).err().map(ErrorReply::from),
        Err(err) => Some(err.into()),
    }
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let Ok(event) = parse_event(text) else { return };
    let today = time::macros::date!(2026 - 11 - 24);
    for error in [
        refusal(&event, |e: SubscriptionEvent| Request::from_event(e, &[ContentType::GENERAL])),
        refusal(&event, |e: SyncEvent| Mode::from_event(e)),
        refusal(&event, |e: ReportEvent| ReportRequest::from_event(e, today)),
    ]
    .into_iter()
    .flatten()
    {
        assert_eq!(error.error_type, "InputError");
    }
});
