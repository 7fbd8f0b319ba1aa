//! The server-rendered web pages: the managing company's cabinet (`cabinet`), signing in by phone
//! and accepting staff invites (`login`), with their sessions (`session`) and HTML helpers
//! (`html`). The public rating and the authority's dashboard live in `crate::rating` and
//! `crate::dashboard` and use the same helpers. Every rule is the API's: the pages call the same
//! functions as the JSON routes.
//!
//! Routes:
//! - `GET  /cabinet/login?invite=`               phone form; `POST /cabinet/login` sends the code
//! - `POST /cabinet/login/verify`                code → session cookie (accepts the invite, if any)
//! - `POST /cabinet/logout`                      end the session
//! - `GET  /invite/{token}`                      what an invite link is for
//! - `GET  /cabinet?status=&overdue=`            the company's reports by deadline (staff)
//! - `GET  /cabinet/reports/{id}`                one report with photos, history and actions
//! - `GET  /cabinet/reports/{id}/photos/{n}`     a photo
//! - `POST /cabinet/reports/{id}/status`         accept / in progress / resolve / reject
//! - `POST /cabinet/reports/{id}/assign`         assign to a staff member
//! - `POST /cabinet/reports/{id}/comments`       answer the resident
//! - `GET  /cabinet/staff`                       the staff and the invite form
//! - `POST /cabinet/staff/invites`               invite one more staff member
//!
//! The cabinet routes take the session from the `cc_session` cookie or a bearer token, and the
//! posts take form fields or JSON, so the authorization tests drive them like any API route.

pub mod cabinet;
pub mod html;
pub mod login;
pub mod session;

use axum::{
    Router,
    extract::{FromRequest, Request},
    http::{HeaderValue, header},
    routing::{get, post},
};
use serde::de::DeserializeOwned;

use crate::{AppState, error::ApiError};
use html::{WebError, wants_html};

/// The pages' routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/cabinet/login",
            get(login::login_page).post(login::send_code),
        )
        .route("/cabinet/login/verify", post(login::verify))
        .route("/cabinet/logout", post(login::logout))
        .route("/invite/{token}", get(login::invite_page))
        .route("/cabinet", get(cabinet::list))
        .route("/cabinet/reports/{id}", get(cabinet::one))
        .route("/cabinet/reports/{id}/photos/{n}", get(cabinet::photo))
        .route("/cabinet/reports/{id}/status", post(cabinet::status))
        .route("/cabinet/reports/{id}/assign", post(cabinet::assign))
        .route("/cabinet/reports/{id}/comments", post(cabinet::comment))
        .route("/cabinet/staff", get(cabinet::staff))
        .route("/cabinet/staff/invites", post(cabinet::invite))
        .layer(axum::middleware::from_fn(page_headers))
}

/// Headers every HTML page gets: no framing (clickjacking), no scripts or foreign resources, no
/// referrer (invite links carry their token in the path), no caching of private pages.
pub async fn page_headers(req: Request, next: axum::middleware::Next) -> axum::response::Response {
    let mut res = next.run(req).await;
    let html = res
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/html"));
    if html {
        let h = res.headers_mut();
        h.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(
                "default-src 'self'; script-src 'none'; style-src 'unsafe-inline'; img-src 'self'; \
                 form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
            ),
        );
        h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
        h.insert(
            header::REFERRER_POLICY,
            HeaderValue::from_static("no-referrer"),
        );
        h.insert(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        );
        h.entry(header::CACHE_CONTROL)
            .or_insert(HeaderValue::from_static("no-store"));
    }
    res
}

/// A posted body: form fields (`application/x-www-form-urlencoded`, what HTML forms send) or
/// JSON; a body that does not parse answers like any malformed request.
#[derive(Debug)]
pub struct Input<T>(pub T);

impl<S, T> FromRequest<S> for Input<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = WebError;

    async fn from_request(req: Request, state: &S) -> Result<Self, WebError> {
        let html = wants_html(req.headers());
        let json = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("application/json"));
        if json {
            crate::error::Json::<T>::from_request(req, state)
                .await
                .map(|crate::error::Json(v)| Input(v))
                .map_err(|e| WebError::new(e, html))
        } else {
            axum::Form::<T>::from_request(req, state)
                .await
                .map(|axum::Form(v)| Input(v))
                .map_err(|e| WebError::new(ApiError::Malformed(e.body_text()), html))
        }
    }
}
