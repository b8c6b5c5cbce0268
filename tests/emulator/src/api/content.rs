//! The content listing (`subscriptions/content`): its checks in order, the
//! page of blobs, and the reply with its `NextPageUri`.

use axum::Extension;
use axum::extract::{Path, RawQuery, State as AxumState};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use time::OffsetDateTime;

use super::authorize::authorize;
use super::error::ApiError;
use super::paging::{next_page_uri, resume_point};
use super::query::{QueryParams, content_type_param};
use super::subscriptions::require_enabled;
use super::window::{Window, window};
use super::{AppState, InjectedFault};
use crate::content_type::ContentType;
use crate::faults::{FaultKind, json_response};
use crate::rng::SplitMix64;
use crate::state::State;
use crate::store::{Blob, Cursor};
use crate::timefmt::content_time;

/// RNG stream tag for listing shuffles.
const SHUFFLE_STREAM: u64 = 0x05_4ff1e;

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ContentItem {
    content_type: ContentType,
    content_id: String,
    content_uri: String,
    content_created: String,
    content_expiration: String,
}

/// A listing request that passed the checks.
pub(super) struct Listing<'q> {
    pub tenant: &'q str,
    pub content_type: ContentType,
    pub window: Window,
    /// The `nextPage` token as sent, and where it says the page starts.
    pub next_page: Option<&'q str>,
    pub resume: Option<Cursor>,
}

/// Where the URLs a listing hands out point: back where the client came
/// from, unless a fault sends them to the foreign host.
pub(super) struct Links {
    pub fault: Option<FaultKind>,
    pub own: String,
    pub foreign: String,
}

impl Links {
    fn new(state: &State, headers: &HeaderMap, fault: Option<FaultKind>) -> Self {
        Links {
            fault,
            own: base_url(state, headers),
            foreign: format!("http://{}", state.config.foreign_host),
        }
    }

    fn content_base(&self) -> &str {
        if self.fault == Some(FaultKind::ForeignContentUri) {
            &self.foreign
        } else {
            &self.own
        }
    }
}

/// `http://<Host header>`: URLs handed out point wherever the client came from.
fn base_url(state: &State, headers: &HeaderMap) -> String {
    headers
        .get(header::HOST)
        .and_then(|host| host.to_str().ok())
        .map(|host| format!("http://{host}"))
        .unwrap_or_else(|| state.base_url())
}

pub(super) async fn content(
    AxumState(state): AppState,
    Path((version, tenant)): Path<(String, String)>,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
    fault: Option<Extension<InjectedFault>>,
) -> Result<Response, ApiError> {
    authorize(&state, &headers, &version, &tenant)?;
    let query = QueryParams::parse(raw.as_deref());
    let content_type = content_type_param(&query)?;
    require_enabled(&state, content_type)?;
    let now = state.now();
    let listing = Listing {
        tenant: &tenant,
        content_type,
        window: window(&query, now)?,
        next_page: query.get("nextPage"),
        resume: resume_point(&query)?,
    };
    let links = Links::new(
        &state,
        &headers,
        fault.map(|Extension(InjectedFault(kind))| kind),
    );
    let (items, next) = page(&state, &listing, now, links.content_base());
    let next = next_page_uri(&listing, &links, next);
    Ok(reply(&state, &items, next, links.fault.as_ref()))
}

/// The items of the page asked for, and where the listing continues.
fn page(
    state: &State,
    listing: &Listing,
    now: OffsetDateTime,
    content_base: &str,
) -> (Vec<ContentItem>, Option<Cursor>) {
    let store = state.store();
    let (mut page, next) = store.list(
        listing.content_type,
        listing.window.start,
        listing.window.end,
        listing.resume,
        state.config.page_size,
        now,
    );
    if state.config.shuffle_listing {
        shuffle(&mut page, state.config.seed, listing.resume);
    }
    let items = page
        .iter()
        .map(|&index| {
            let blob = &store.blobs()[index];
            content_item(blob, store.content_id(index), content_base, listing.tenant)
        })
        .collect();
    (items, next)
}

/// Seeded by the page position, so a given page always comes out the same.
fn shuffle(page: &mut [usize], seed: u64, resume: Option<Cursor>) {
    let position = resume.map_or(0, |c| c.index as u64);
    let mut rng = SplitMix64::derived(seed, &[SHUFFLE_STREAM, position]);
    for i in (1..page.len()).rev() {
        page.swap(i, rng.index(i + 1));
    }
}

fn content_item(blob: &Blob, content_id: String, content_base: &str, tenant: &str) -> ContentItem {
    ContentItem {
        content_type: blob.content_type,
        content_uri: format!("{content_base}/api/v1.0/{tenant}/activity/feed/audit/{content_id}"),
        content_id,
        content_created: content_time(blob.created),
        content_expiration: content_time(blob.expires()),
    }
}

fn reply(
    state: &State,
    items: &[ContentItem],
    next_page_uri: Option<String>,
    fault: Option<&FaultKind>,
) -> Response {
    let mut response = match fault {
        Some(FaultKind::BrokenListingEntry) => {
            let mut entries = vec![serde_json::json!({"contentType": "Audit.General",
                "contentId": 42, "contentCreated": "yesterday"})];
            entries.extend(
                items
                    .iter()
                    .map(|item| serde_json::to_value(item).expect("plain")),
            );
            json_response(StatusCode::OK, &entries)
        }
        Some(FaultKind::HugePage { bytes }) => {
            let mut body = vec![b' '; *bytes];
            body.extend(serde_json::to_vec(items).expect("plain"));
            (
                StatusCode::OK,
                [(header::CONTENT_TYPE, "application/json; charset=utf-8")],
                body,
            )
                .into_response()
        }
        _ => json_response(StatusCode::OK, &items),
    };
    if let Some(url) = next_page_uri {
        response.headers_mut().insert(
            state.config.next_page_header.as_str(),
            HeaderValue::from_str(&url).expect("URL is valid header text"),
        );
    }
    state.stats().content_page_served();
    response
}
