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
/// A conversation id goes into a sort key after its agent's id.
pub const MAX_CONVERSATION_BYTES: usize = 512;

/// Checks the key parts of a kept record.
pub(super) fn check(event: &AuditEvent) -> Result<(), Rejection> {
    let ids = [
        (event.app_id.as_deref(), MAX_APP_ID_BYTES, true),
        (event.bot_id.as_deref(), MAX_APP_ID_BYTES, true),
        (event.environment_id.as_deref(), MAX_APP_ID_BYTES, false),
        (
            event.conversation_id.as_deref(),
            MAX_CONVERSATION_BYTES,
            false,
        ),
    ];
    if let Some(fault) = ids
        .into_iter()
        .find_map(|(id, max, no_delimiter)| fault(id?, max, no_delimiter))
    {
        return Err(reject(RejectionKind::InvalidAppId, event, &fault));
    }
    let users = [&event.user_upn, &event.user_key].into_iter().flatten();
    if let Some(fault) = users
        .filter_map(|user| fault(user, MAX_USER_BYTES, false))
        .next()
    {
        return Err(reject(RejectionKind::InvalidUser, event, &fault));
    }
    Ok(())
}

/// What keeps `value` from being part of a key, if anything.
fn fault(value: &str, max: usize, no_delimiter: bool) -> Option<String> {
    if value.len() > max {
        Some(format!("{} bytes, at most {max} allowed", value.len()))
    } else if no_delimiter && value.contains('#') {
        Some("contains '#', the key delimiter".to_string())
    } else if value.chars().any(char::is_control) {
        Some("contains a control character".to_string())
    } else {
        None
    }
}

fn reject(kind: RejectionKind, event: &AuditEvent, fault: &str) -> Rejection {
    Rejection::with_detail(kind, format!("record {}: {fault}", quote(&event.id)))
}
