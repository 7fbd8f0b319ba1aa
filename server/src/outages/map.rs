//! The public map page: `GET /map` (HTML + script, compiled in) and Leaflet's files, served from
//! the directory `npm ci` fills in `server/web/node_modules` (configurable with
//! `CONNECT_WEB_MODULES`, so a deployment can put them anywhere). The tile source is
//! `CONNECT_MAP_TILES` (empty: no tiles, buildings and outages draw on a plain background).

use axum::{
    Router,
    extract::State,
    http::{HeaderValue, StatusCode, header},
    response::{Html, IntoResponse, Response},
    routing::get,
};

use crate::AppState;

const PAGE: &str = include_str!("../../web/map.html");
const SCRIPT: &str = include_str!("../../web/map.js");

/// The page's routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/map", get(page))
        .route("/map/map.js", get(script))
        .route("/map/leaflet.js", get(leaflet_js))
        .route("/map/leaflet.css", get(leaflet_css))
}

async fn page(State(state): State<AppState>) -> Html<String> {
    // The tile URL is operator configuration, but it still lands inside a JS string literal.
    let tiles = serde_json::to_string(&state.settings.map_tiles).unwrap_or_else(|_| "\"\"".into());
    Html(PAGE.replace("\"{{TILES}}\"", &tiles))
}

fn with_type(body: impl IntoResponse, content_type: &'static str) -> Response {
    let mut res = body.into_response();
    res.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    res
}

async fn script() -> Response {
    with_type(SCRIPT, "text/javascript; charset=utf-8")
}

async fn module_file(state: &AppState, rel: &str, content_type: &'static str) -> Response {
    let path = state.settings.web_modules.join(rel);
    match tokio::fs::read(&path).await {
        Ok(bytes) => with_type(bytes, content_type),
        Err(error) => {
            tracing::error!(%error, path = %path.display(), "map asset missing; run scripts/install-deps.sh (npm ci)");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                "map assets are not installed",
            )
                .into_response()
        }
    }
}

async fn leaflet_js(State(state): State<AppState>) -> Response {
    module_file(
        &state,
        "leaflet/dist/leaflet.js",
        "text/javascript; charset=utf-8",
    )
    .await
}

async fn leaflet_css(State(state): State<AppState>) -> Response {
    module_file(
        &state,
        "leaflet/dist/leaflet.css",
        "text/css; charset=utf-8",
    )
    .await
}
