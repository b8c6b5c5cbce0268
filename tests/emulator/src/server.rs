//! Router assembly and the layer that observes and faults every request.

use std::sync::Arc;

use axum::Router;
use axum::extract::{Request, State as AxumState};
use axum::http::{StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::Response;

use crate::api::{InjectedFault, QueryParams};
use crate::faults::{Audience, FaultKind, canned_response, cut_response};
use crate::state::State;
use crate::stats::{RequestRecord, operation_name, route_name};
use crate::timefmt::rfc3339;

pub(crate) fn router(state: Arc<State>) -> Router {
    // The layer wraps the token endpoint, the API and unknown paths, but not
    // the control routes merged afterwards: those are never faulted or counted.
    let served = Router::new()
        .merge(crate::token::routes())
        .merge(crate::api::routes())
        .fallback(|| async { StatusCode::NOT_FOUND })
        .layer(middleware::from_fn_with_state(state.clone(), observe));
    served.merge(crate::control::routes()).with_state(state)
}

async fn observe(
    AxumState(state): AxumState<Arc<State>>,
    mut request: Request,
    next: Next,
) -> Response {
    let method = request.method().to_string();
    let path = request.uri().path().to_string();
    let query = request.uri().query().map(str::to_string);
    let route = route_name(&path);
    let publisher_identifier = QueryParams::parse(query.as_deref())
        .get("PublisherIdentifier")
        .map(str::to_string);
    let authorization_present = request.headers().contains_key(header::AUTHORIZATION);
    let at = state.now();

    let fault = state.faults().pick(&method, &path);
    let audience = if route.starts_with("token") {
        Audience::Token
    } else {
        Audience::Api(operation_name(route))
    };
    let response = match &fault {
        None => next.run(request).await,
        Some(kind) => match canned_response(kind, audience, publisher_identifier.as_deref()) {
            Some(response) => response,
            None => match kind {
                FaultKind::Delay { ms } => {
                    tokio::time::sleep(std::time::Duration::from_millis(*ms)).await;
                    next.run(request).await
                }
                FaultKind::Cut { after_bytes } => {
                    cut_response(next.run(request).await, *after_bytes)
                }
                FaultKind::ExpireTokens => {
                    state.expire_all_tokens();
                    next.run(request).await
                }
                _ => {
                    request.extensions_mut().insert(InjectedFault(kind.clone()));
                    next.run(request).await
                }
            },
        },
    };

    let status = response.status().as_u16();
    tracing::debug!(%method, %path, status, fault = fault.as_ref().map(FaultKind::name), "served");
    state.stats().record(RequestRecord {
        seq: 0,
        at: rfc3339(at),
        method,
        path,
        query,
        route: route.to_string(),
        status,
        fault: fault.as_ref().map(|f| f.name().to_string()),
        publisher_identifier,
        authorization_present,
    });
    response
}
