//! Fetching a blob (`audit/{contentId}`): the id checks, availability and
//! expiry, and the body, stored or generated as it streams out.

use std::sync::Arc;

use axum::body::{Body, Bytes};
use axum::extract::{Path, State as AxumState};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::AppState;
use super::authorize::authorize;
use super::error::ApiError;
use crate::generate::Generator;
use crate::store::BodySource;

/// Records per chunk when a lazily generated blob is streamed.
const STREAM_CHUNK_RECORDS: u32 = 256;

pub(super) async fn blob(
    AxumState(state): AppState,
    Path((version, tenant, content_id)): Path<(String, String, String)>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    authorize(&state, &headers, &version, &tenant)?;
    if !is_well_formed_content_id(&content_id) {
        return Err(ApiError::bad_request(
            "AF20052",
            format!("Content ID {content_id} in the URL is invalid."),
        ));
    }
    let now = state.now();
    let store = state.store();
    let missing = || {
        ApiError::bad_request(
            "AF20050",
            format!("The specified content ({content_id}) does not exist."),
        )
    };
    // Content that is not available yet is as unknown as content that never was.
    let blob = store
        .get(&content_id)
        .filter(|b| b.is_available(now))
        .ok_or_else(missing)?;
    if blob.is_expired(now) {
        return Err(ApiError::bad_request(
            "AF20051",
            format!(
                "Content requested with the key {content_id} has already expired. Content older \
                 than 7 days cannot be retrieved."
            ),
        ));
    }
    let body = match store.body(blob) {
        BodySource::Stored(bytes) => Body::from(bytes),
        BodySource::Generated(plan_index) => generated(store.generator().clone(), plan_index),
    };
    drop(store);
    state.stats().blob_served();
    Ok((
        StatusCode::OK,
        [(header::CONTENT_TYPE, "application/json; charset=utf-8")],
        body,
    )
        .into_response())
}

/// Microsoft's ids are `$`-separated alphanumeric parts; anything else is
/// "invalid" (AF20052) rather than merely "unknown" (AF20050).
fn is_well_formed_content_id(id: &str) -> bool {
    let parts: Vec<&str> = id.split('$').collect();
    parts.len() == 5
        && parts
            .iter()
            .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_alphanumeric()))
}

/// A planned blob's JSON array, generated chunk by chunk as it is sent so
/// that a large blob is never held whole.
fn generated(generator: Arc<Generator>, plan_index: usize) -> Body {
    let count = generator.blobs()[plan_index].record_count;
    Body::from_stream(futures::stream::unfold(Some(0u32), move |from| {
        let generator = generator.clone();
        async move {
            let from = from?;
            let to = from.saturating_add(STREAM_CHUNK_RECORDS).min(count);
            let mut chunk = Vec::with_capacity((to - from) as usize * 700 + 2);
            if from == 0 {
                chunk.push(b'[');
            }
            generator.write_items(plan_index, from..to, &mut chunk);
            let next = if to >= count {
                chunk.push(b']');
                None
            } else {
                Some(to)
            };
            Some((Ok::<_, std::io::Error>(Bytes::from(chunk)), next))
        }
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_id_shapes() {
        assert!(is_well_formed_content_id(
            "492638008028$492638008028$f28ab78ad40140608012736e373933ebspo2015043022$4a81a7c326fc4aed89c62e6039ab833b$04"
        ));
        assert!(!is_well_formed_content_id("abc"));
        assert!(!is_well_formed_content_id("1$2$3$4$"));
        assert!(!is_well_formed_content_id("1$2$3$4$5$6"));
        assert!(!is_well_formed_content_id("1$2$3-3$4$5"));
    }
}
