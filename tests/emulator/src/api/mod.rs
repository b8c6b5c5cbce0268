//! The Management Activity API: subscriptions, content listing, blob fetch.
//!
//! Served under `/api/v1.0/{tenant}/activity/feed` and, because the
//! `NextPageUri` the real service hands out uses it, `/api/v1/...` too.

mod authorize;
mod blob;
mod content;
mod error;
mod paging;
mod query;
mod subscriptions;
mod window;

use std::sync::Arc;

use axum::Router;
use axum::extract::State as AxumState;
use axum::routing::{get, post};

use crate::faults::FaultKind;
use crate::state::State;

pub(crate) use query::QueryParams;

type AppState = AxumState<Arc<State>>;

/// Set by the fault layer for faults the handlers themselves must apply.
#[derive(Debug, Clone)]
pub(crate) struct InjectedFault(pub FaultKind);

pub(crate) fn routes() -> Router<Arc<State>> {
    let feed = "/api/{version}/{tenant}/activity/feed";
    Router::new()
        .route(
            &format!("{feed}/subscriptions/start"),
            post(subscriptions::start),
        )
        .route(
            &format!("{feed}/subscriptions/stop"),
            post(subscriptions::stop),
        )
        .route(
            &format!("{feed}/subscriptions/list"),
            get(subscriptions::list),
        )
        .route(
            &format!("{feed}/subscriptions/content"),
            get(content::content),
        )
        .route(&format!("{feed}/audit/{{content_id}}"), get(blob::blob))
}
