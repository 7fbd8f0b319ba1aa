//! Operational routes and the request-metrics middleware.
//!
//! Routes:
//! - `GET /healthz`       200 when the store answers (reads and the writer), 503 otherwise
//! - `GET /metrics`       Prometheus text: requests by route and status, latency histogram
//! - `GET /openapi.json`  the OpenAPI document generated from the handlers' annotations

use std::{sync::OnceLock, time::Instant};

use axum::{
    Router,
    extract::{MatchedPath, Request, State},
    http::{StatusCode, header},
    middleware::Next,
    response::{IntoResponse, Response},
    routing::get,
};
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};
use utoipa::{
    Modify, OpenApi,
    openapi::security::{Http, HttpAuthScheme, SecurityScheme},
};

use crate::{AppState, error::LoggedError};

/// This module's routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/metrics", get(metrics_text))
        .route("/openapi.json", get(openapi_json))
}

/// The whole API document: each module contributes its `Api`; add new modules here.
pub fn openapi() -> utoipa::openapi::OpenApi {
    #[derive(OpenApi)]
    #[openapi(
        info(title = "CommunityConnect API", description = "The /v1 protocol; see docs/PROTOCOL.md."),
        paths(healthz),
        modifiers(&BearerAuth)
    )]
    struct Root;
    let mut doc = Root::openapi();
    doc.merge(crate::auth::Api::openapi());
    doc.merge(crate::property::Api::openapi());
    doc.merge(crate::admin::Api::openapi());
    doc.merge(crate::reports::Api::openapi());
    doc.merge(crate::readings::Api::openapi());
    doc.merge(crate::points::Api::openapi());
    doc.merge(crate::outages::Api::openapi());
    doc.merge(crate::geo::Api::openapi());
    doc.merge(crate::qr::Api::openapi());
    doc.merge(crate::staff::Api::openapi());
    doc.merge(crate::rating::Api::openapi());
    doc.merge(crate::dashboard::Api::openapi());
    doc
}

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, doc: &mut utoipa::openapi::OpenApi) {
        let components = doc.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(Http::new(HttpAuthScheme::Bearer)),
        );
    }
}

/// Store health.
#[utoipa::path(get, path = "/healthz", tag = "ops",
    responses((status = 200, description = "ok"), (status = 503, description = "store down")))]
async fn healthz(State(state): State<AppState>) -> Response {
    match state.store.ping().await {
        Ok(()) => (StatusCode::OK, "ok\n").into_response(),
        Err(e) => {
            tracing::error!(error = %e, "health check failed");
            (StatusCode::SERVICE_UNAVAILABLE, "store unavailable\n").into_response()
        }
    }
}

async fn metrics_text(State(state): State<AppState>) -> Response {
    (
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        state.metrics.render(),
    )
        .into_response()
}

async fn openapi_json() -> Response {
    match openapi().to_json() {
        Ok(json) => ([(header::CONTENT_TYPE, "application/json")], json).into_response(),
        Err(e) => crate::error::ApiError::Internal(e.to_string()).into_response(),
    }
}

/// The process-wide Prometheus recorder (installed once; tests build many apps in one process).
pub fn prometheus() -> PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE
        .get_or_init(|| {
            let builder = PrometheusBuilder::new();
            let builder = builder
                .set_buckets_for_metric(
                    metrics_exporter_prometheus::Matcher::Full(
                        "connect_http_request_duration_seconds".into(),
                    ),
                    &[0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5],
                )
                .unwrap_or_else(|_| PrometheusBuilder::new());
            let recorder = builder.build_recorder();
            let handle = recorder.handle();
            if metrics::set_global_recorder(recorder).is_err() {
                tracing::warn!("a metrics recorder was already installed");
            }
            handle
        })
        .clone()
}

/// Counts requests by route template and status, records latency, and logs 5xx details that
/// [`crate::error::ApiError`] kept out of the body.
pub async fn track(req: Request, next: Next) -> Response {
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_owned())
        // Unmatched paths share one label so scanners cannot blow up the series count.
        .unwrap_or_else(|| "unmatched".to_owned());
    let method = req.method().to_string();
    let start = Instant::now();
    let res = next.run(req).await;
    let status = res.status().as_u16().to_string();
    if let Some(LoggedError(detail)) = res.extensions().get::<LoggedError>() {
        tracing::error!(%route, %method, error = %detail, "request failed");
    }
    let labels = [("route", route), ("method", method), ("status", status)];
    metrics::counter!("connect_http_requests_total", &labels).increment(1);
    metrics::histogram!("connect_http_request_duration_seconds", &labels[..2])
        .record(start.elapsed().as_secs_f64());
    res
}
