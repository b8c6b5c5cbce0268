//! Paging a content listing: the `nextPage` token a request carries, and the
//! `NextPageUri` its reply hands out (or, under a paging fault, a bent one).

use super::content::{Links, Listing};
use super::error::ApiError;
use super::query::QueryParams;
use crate::faults::FaultKind;
use crate::store::Cursor;

/// Where the page asked for starts, from `nextPage`.
pub(super) fn resume_point(query: &QueryParams) -> Result<Option<Cursor>, ApiError> {
    query
        .get("nextPage")
        .map(|token| {
            Cursor::decode(token).ok_or_else(|| {
                ApiError::bad_request("AF20031", format!("Invalid nextPage Input: {token}."))
            })
        })
        .transpose()
}

/// The URL of the page after this one, given where the store says the
/// listing continues; `None` on a last page.
pub(super) fn next_page_uri(
    listing: &Listing,
    links: &Links,
    next: Option<Cursor>,
) -> Option<String> {
    // A looping listing sends the client back to the page it just read.
    let looped = listing
        .next_page
        .filter(|_| links.fault == Some(FaultKind::LoopNextPage));
    let base = if links.fault == Some(FaultKind::ForeignNextPage) {
        &links.foreign
    } else if next.is_some() || looped.is_some() {
        &links.own
    } else {
        return None;
    };
    // A foreign page on a last page still needs some token to point at.
    let token = looped
        .map(str::to_string)
        .or_else(|| next.map(|c| c.encode()))
        .unwrap_or_else(|| {
            Cursor {
                created: listing.window.end,
                index: 0,
            }
            .encode()
        });
    Some(format!(
        "{base}/api/v1/{}/activity/feed/subscriptions/content?contentType={}&startTime={}&endTime={}&nextPage={token}",
        listing.tenant,
        listing.content_type.as_str(),
        encode_query_value(&listing.window.start_text),
        encode_query_value(&listing.window.end_text),
    ))
}

/// Percent-encodes a query value, leaving `:` readable as the real service does.
fn encode_query_value(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for byte in value.bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~:".contains(&byte) {
            out.push(byte as char);
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_values_keep_colons() {
        assert_eq!(
            encode_query_value("2026-05-23T17:35:00.000Z"),
            "2026-05-23T17:35:00.000Z"
        );
        assert_eq!(encode_query_value("a b+c"), "a%20b%2Bc");
    }
}
