//! Browser sessions for the server-rendered pages. A [`WebSession`] is the same session as the
//! API's (one table, token stored hashed), read from the `Authorization: Bearer` header or from
//! the `cc_session` cookie (HttpOnly, SameSite=Strict, Secure when the public URL is https).
//! Forms posted with the cookie must carry the session's CSRF token, derived one-way from the
//! session token (so it needs no storage and reveals nothing about the token); requests the
//! browser marks cross-site (`Sec-Fetch-Site`) are refused as well. Bearer requests need no
//! CSRF token: a browser never attaches that header by itself.

use axum::{
    extract::FromRequestParts,
    http::{HeaderMap, HeaderValue, Method, header, request::Parts},
};
use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use chrono::Utc;

use super::html::{WebError, wants_html};
use crate::{
    AppState,
    auth::{Session, otp::SESSION_TTL, session::bearer},
    crypto::token_hash,
    error::ApiError,
};

/// Name of the session cookie.
pub const SESSION_COOKIE: &str = "cc_session";
/// Name of the login form's double-submit cookie.
pub const LOGIN_COOKIE: &str = "cc_login";

/// The value of cookie `name`, if the request carries it.
pub fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.trim())
}

/// The CSRF token of a session token (or of a login form's nonce).
pub fn csrf_for(token: &str) -> String {
    let digest = ring::digest::digest(
        &ring::digest::SHA256,
        format!("connect/csrf/v1\0{token}").as_bytes(),
    );
    URL_SAFE_NO_PAD.encode(digest.as_ref())
}

/// Constant-time comparison of two tokens.
pub fn same_token(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

/// `Set-Cookie` for a cookie valid `max_age_s` seconds (0 deletes it).
pub fn set_cookie(state: &AppState, name: &str, value: &str, max_age_s: i64) -> HeaderValue {
    let secure = if state.settings.public_url.starts_with("https://") {
        "; Secure"
    } else {
        ""
    };
    let v =
        format!("{name}={value}; Path=/; HttpOnly; SameSite=Strict; Max-Age={max_age_s}{secure}");
    HeaderValue::from_str(&v).unwrap_or_else(|_| HeaderValue::from_static("x=; Max-Age=0"))
}

/// The session cookie for a new session.
pub fn session_cookie(state: &AppState, token: &str) -> HeaderValue {
    set_cookie(state, SESSION_COOKIE, token, SESSION_TTL.num_seconds())
}

/// True when the browser says the request comes from another site.
pub fn cross_site(headers: &HeaderMap) -> bool {
    headers
        .get("sec-fetch-site")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.eq_ignore_ascii_case("cross-site"))
}

/// A signed-in caller of a page.
#[derive(Debug, Clone)]
pub struct WebSession {
    /// The session (user and grants).
    pub session: Session,
    /// The cookie's token when the session came from the cookie (then forms need CSRF).
    cookie_token: Option<String>,
    /// The browser marked the request cross-site.
    cross_site: bool,
    /// The client reads HTML.
    pub html: bool,
}

impl WebSession {
    /// The CSRF token forms of this session carry (empty for bearer sessions).
    pub fn csrf(&self) -> String {
        self.cookie_token
            .as_deref()
            .map(csrf_for)
            .unwrap_or_default()
    }

    /// Refuses a cookie-authenticated state change without the session's CSRF token, or one the
    /// browser marks cross-site.
    pub fn check_csrf(&self, sent: Option<&str>) -> Result<(), WebError> {
        let Some(token) = &self.cookie_token else {
            return Ok(());
        };
        let ok = !self.cross_site && sent.is_some_and(|s| same_token(s, &csrf_for(token)));
        if ok {
            Ok(())
        } else {
            tracing::warn!("form refused: CSRF token missing or wrong");
            Err(self.err(ApiError::Forbidden))
        }
    }

    /// Wraps an error for this client.
    pub fn err(&self, error: ApiError) -> WebError {
        WebError::new(error, self.html)
    }
}

impl FromRequestParts<AppState> for WebSession {
    type Rejection = WebError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, WebError> {
        let html = wants_html(&parts.headers);
        let cross = cross_site(&parts.headers) && parts.method != Method::GET;
        if bearer(parts).is_some() {
            let session = Session::from_request_parts(parts, state)
                .await
                .map_err(|e| WebError::new(e, html))?;
            return Ok(WebSession {
                session,
                cookie_token: None,
                cross_site: cross,
                html,
            });
        }
        let token = cookie(&parts.headers, SESSION_COOKIE)
            .filter(|t| t.len() == 43)
            .map(str::to_owned)
            .ok_or_else(|| WebError::new(ApiError::Unauthorized, html))?;
        let hash = token_hash(&token);
        let now = Utc::now();
        let record = state
            .store
            .touch_session(
                hash.clone(),
                now.timestamp_millis(),
                (now + SESSION_TTL).timestamp_millis(),
            )
            .await
            .map_err(|e| WebError::new(e.into(), html))?
            .ok_or_else(|| WebError::new(ApiError::Unauthorized, html))?;
        Ok(WebSession {
            session: Session {
                user_id: record.user_id,
                grants: record.grants,
                token_hash: hash,
            },
            cookie_token: Some(token),
            cross_site: cross,
            html,
        })
    }
}

/// Whether the client reads HTML, for handlers without a session.
#[derive(Debug, Clone, Copy)]
pub struct Accepts {
    /// The client asked for HTML.
    pub html: bool,
}

impl<S: Send + Sync> FromRequestParts<S> for Accepts {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(Accepts {
            html: wants_html(&parts.headers),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cookies_are_found_by_exact_name_and_csrf_tokens_depend_on_the_session() {
        let mut h = HeaderMap::new();
        h.insert(
            header::COOKIE,
            HeaderValue::from_static("x_cc_session=no; cc_session=abc; other=1"),
        );
        assert_eq!(cookie(&h, SESSION_COOKIE), Some("abc"));
        assert_eq!(cookie(&h, "missing"), None);
        assert_ne!(csrf_for("a"), csrf_for("b"));
        assert_eq!(csrf_for("a").len(), 43);
        assert!(same_token(&csrf_for("a"), &csrf_for("a")));
        assert!(!same_token(&csrf_for("a"), &csrf_for("b")));
        assert!(!same_token("abc", "ab"));
    }
}
