//! The record fields that become parts of storage keys: the app or flow id (in the event's
//! partition key, the counters' and users' sort keys) and the user (in the users' sort keys).
//! DynamoDB allows 2,048 bytes of partition key and 1,024 of sort key, and the keys use `#` as
//! their delimiter, so an id that could not be a key, or could be confused with another's
//! prefix, is rejected here, with the reason, rather than failing its blob at the write.

use crate::model::AuditEvent;
use crate::rejection::{Rejection, RejectionKind, quote};

/// The longest app or flow id accepted. Real ones are GUIDs (36 bytes).
pub const MAX_APP_ID_BYTES: usize = 256;
/// The longest user (UPN or user key) accepted: with the app id and the delimiter it stays
/// under DynamoDB's 1,024-byte sort key. Entra UPNs are at most 113 characters.
pub const MAX_USER_BYTES: usize = 512;

/// Checks the key parts of a kept record.
pub(super) fn check(event: &AuditEvent) -> Result<(), Rejection> {
    if let Some(app) = &event.app_id {
        let fault = if app.len() > MAX_APP_ID_BYTES {
            Some(format!(
                "{} bytes, at most {MAX_APP_ID_BYTES} allowed",
                app.len()
            ))
        } else if app.contains('#') {
            Some("contains '#', the key delimiter".to_string())
        } else if app.chars().any(char::is_control) {
            Some("contains a control character".to_string())
        } else {
            None
        };
        if let Some(fault) = fault {
            return Err(Rejection::with_detail(
                RejectionKind::InvalidAppId,
                format!("record {}: {fault}", quote(&event.id)),
            ));
        }
    }
    for user in [&event.user_upn, &event.user_key].into_iter().flatten() {
        let fault = if user.len() > MAX_USER_BYTES {
            Some(format!(
                "{} bytes, at most {MAX_USER_BYTES} allowed",
                user.len()
            ))
        } else if user.chars().any(char::is_control) {
            Some("contains a control character".to_string())
        } else {
            None
        };
        if let Some(fault) = fault {
            return Err(Rejection::with_detail(
                RejectionKind::InvalidUser,
                format!("record {}: {fault}", quote(&event.id)),
            ));
        }
    }
    Ok(())
}
