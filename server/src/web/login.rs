//! Signing in to the web pages with a phone and a one-time code (the same rules and SMS as the
//! app's login, `auth::otp`), accepting a staff invite link, and signing out.
//!
//! The login forms carry a double-submit nonce: `GET /cabinet/login` sets it in the `cc_login`
//! cookie (HttpOnly, SameSite=Strict) and in the form, and the posts must match, so another site
//! cannot sign a browser in to an account of its choosing.

use axum::{
    extract::{Path, Query, State},
    http::{StatusCode, header},
    response::{Html, IntoResponse, Redirect, Response},
};
use chrono::{DateTime, Utc};
use connect_core::auth::Role;
use serde::Deserialize;

use super::{
    Input,
    html::{WebError, esc, page, url_part},
    session::{
        Accepts, LOGIN_COOKIE, WebSession, cookie, cross_site, csrf_for, same_token,
        session_cookie, set_cookie,
    },
};
use crate::{
    AppState,
    auth::{ClientIp, otp, parse_phone},
    crypto::token_hash,
    error::ApiError,
    staff,
};

/// `?invite=` on the login page.
#[derive(Debug, Deserialize)]
pub struct LoginQuery {
    invite: Option<String>,
}

/// The phone form.
#[derive(Debug, Deserialize)]
pub struct PhoneForm {
    phone: String,
    #[serde(default)]
    invite: Option<String>,
    #[serde(default)]
    nonce: String,
}

/// The code form.
#[derive(Debug, Deserialize)]
pub struct CodeForm {
    phone: String,
    code: String,
    #[serde(default)]
    invite: Option<String>,
    #[serde(default)]
    nonce: String,
}

fn hidden(name: &str, value: &str) -> String {
    format!(
        "<input type=\"hidden\" name=\"{}\" value=\"{}\">",
        esc(name),
        esc(value)
    )
}

fn invite_field(invite: Option<&str>) -> String {
    invite
        .filter(|t| !t.is_empty())
        .map(|t| hidden("invite", t))
        .unwrap_or_default()
}

fn phone_page(nonce: &str, invite: Option<&str>, error: Option<&str>) -> Html<String> {
    let err = error
        .map(|e| format!("<p class=\"err\">{}</p>", esc(e)))
        .unwrap_or_default();
    let intro = if invite.is_some_and(|t| !t.is_empty()) {
        "<p>Sign in with your phone number to accept the invitation.</p>"
    } else {
        "<p>For staff of managing companies and for authorities. Residents use the app.</p>"
    };
    let body = format!(
        "<h1>Sign in</h1>{intro}{err}<form method=\"post\" action=\"/cabinet/login\" class=\"card\">\
         <label>Phone number <input name=\"phone\" id=\"phone\" type=\"tel\" autocomplete=\"tel\" required \
         placeholder=\"+7 900 123-45-67\"></label>{}{} <button type=\"submit\" id=\"send-code\">Send code</button></form>",
        hidden("nonce", nonce),
        invite_field(invite)
    );
    page("Sign in", None, &[("/rating", "Rating")], &body)
}

fn code_page(phone: &str, nonce: &str, invite: Option<&str>, error: Option<&str>) -> Html<String> {
    let err = error
        .map(|e| format!("<p class=\"err\">{}</p>", esc(e)))
        .unwrap_or_default();
    let body = format!(
        "<h1>Enter the code</h1><p>We sent a six-digit code by SMS to {}.</p>{err}\
         <form method=\"post\" action=\"/cabinet/login/verify\" class=\"card\">\
         <label>Code <input name=\"code\" id=\"code\" inputmode=\"numeric\" autocomplete=\"one-time-code\" \
         required maxlength=\"6\"></label>{}{}{} <button type=\"submit\" id=\"verify\">Sign in</button></form>",
        esc(phone),
        hidden("phone", phone),
        hidden("nonce", nonce),
        invite_field(invite)
    );
    page("Sign in", None, &[("/rating", "Rating")], &body)
}

fn with_status(status: StatusCode, html: Html<String>) -> Response {
    (status, html).into_response()
}

/// A fresh nonce for the login forms.
fn new_nonce(state: &AppState) -> Result<String, ApiError> {
    state
        .keys
        .new_token()
        .map(|(t, _)| t)
        .map_err(|e| ApiError::Internal(e.to_string()))
}

/// `GET /cabinet/login`: the phone form (sets the login nonce cookie).
pub async fn login_page(
    State(state): State<AppState>,
    Query(q): Query<LoginQuery>,
) -> Result<Response, WebError> {
    let nonce = new_nonce(&state).map_err(|e| WebError::new(e, true))?;
    let mut res = phone_page(&csrf_for(&nonce), q.invite.as_deref(), None).into_response();
    res.headers_mut().insert(
        header::SET_COOKIE,
        set_cookie(&state, LOGIN_COOKIE, &nonce, 15 * 60),
    );
    Ok(res)
}

/// The login nonce must match the cookie (and the post must not be cross-site).
fn check_nonce(headers: &axum::http::HeaderMap, sent: &str) -> Result<(), WebError> {
    let ok = !cross_site(headers)
        && cookie(headers, LOGIN_COOKIE).is_some_and(|c| same_token(sent, &csrf_for(c)));
    if ok {
        Ok(())
    } else {
        Err(WebError::new(
            ApiError::InvalidInput(
                "this sign-in form has expired; open the sign-in page again".into(),
            ),
            true,
        ))
    }
}

/// `POST /cabinet/login`: send the code, show the code form.
pub async fn send_code(
    State(state): State<AppState>,
    ip: ClientIp,
    headers: axum::http::HeaderMap,
    Input(form): Input<PhoneForm>,
) -> Result<Response, WebError> {
    check_nonce(&headers, &form.nonce)?;
    let invite = form.invite.as_deref();
    let phone = match parse_phone(&form.phone) {
        Ok(p) => p,
        Err(e) => {
            return Ok(with_status(
                StatusCode::UNPROCESSABLE_ENTITY,
                phone_page(&form.nonce, invite, Some(&e.to_string())),
            ));
        }
    };
    match otp::send_code(&state, &phone, &ip.0, Utc::now()).await {
        Ok(_) => Ok(code_page(phone.as_str(), &form.nonce, invite, None).into_response()),
        Err(e @ ApiError::RateLimited(_)) => Ok(with_status(
            StatusCode::TOO_MANY_REQUESTS,
            phone_page(
                &form.nonce,
                invite,
                Some(&format!("{e}: wait a minute and try again")),
            ),
        )),
        Err(e) => Err(WebError::new(e, true)),
    }
}

/// `POST /cabinet/login/verify`: check the code, set the session cookie, accept the invite if
/// one came along, and go to the caller's page.
pub async fn verify(
    State(state): State<AppState>,
    headers: axum::http::HeaderMap,
    Input(form): Input<CodeForm>,
) -> Result<Response, WebError> {
    check_nonce(&headers, &form.nonce)?;
    let invite = form.invite.as_deref().filter(|t| !t.is_empty());
    let phone = parse_phone(&form.phone).map_err(|e| WebError::new(e, true))?;
    let session = match otp::verify(&state, &phone, &form.code, Utc::now()).await {
        Ok(s) => s,
        Err(ApiError::InvalidCode) => {
            return Ok(with_status(
                StatusCode::UNAUTHORIZED,
                code_page(
                    phone.as_str(),
                    &form.nonce,
                    invite,
                    Some("The code is wrong or expired. Try again or request a new one."),
                ),
            ));
        }
        Err(e) => return Err(WebError::new(e, true)),
    };
    let mut roles = session.roles.clone();
    let mut target = None;
    if let Some(token) = invite {
        match staff::accept_invite(&state, session.user_id, token).await {
            Ok(_) => {
                roles.push(Role::CompanyStaff);
                target = Some("/cabinet?joined=1".to_owned());
            }
            Err(_) => target = Some(format!("/invite/{}", url_part(token))),
        }
    }
    let target = target.unwrap_or_else(|| landing(&roles).to_owned());
    let mut res = Redirect::to(&target).into_response();
    let h = res.headers_mut();
    h.append(header::SET_COOKIE, session_cookie(&state, &session.token));
    h.append(header::SET_COOKIE, set_cookie(&state, LOGIN_COOKIE, "", 0));
    Ok(res)
}

/// Where a role lands after signing in.
fn landing(roles: &[Role]) -> &'static str {
    if roles.contains(&Role::CompanyStaff) {
        "/cabinet"
    } else if roles.contains(&Role::Authority) {
        "/dashboard"
    } else {
        "/cabinet"
    }
}

/// The logout form.
#[derive(Debug, Deserialize)]
pub struct CsrfForm {
    #[serde(default)]
    csrf: Option<String>,
}

/// `POST /cabinet/logout`: revoke the session and forget the cookie.
pub async fn logout(
    State(state): State<AppState>,
    web: WebSession,
    Input(form): Input<CsrfForm>,
) -> Result<Response, WebError> {
    web.check_csrf(form.csrf.as_deref())?;
    state
        .store
        .revoke_session(web.session.token_hash.clone())
        .await
        .map_err(|e| web.err(e.into()))?;
    let mut res = Redirect::to("/cabinet/login").into_response();
    res.headers_mut().insert(
        header::SET_COOKIE,
        set_cookie(&state, super::session::SESSION_COOKIE, "", 0),
    );
    Ok(res)
}

fn date(ms: i64) -> String {
    DateTime::from_timestamp_millis(ms)
        .map(|d| d.format("%Y-%m-%d %H:%M UTC").to_string())
        .unwrap_or_default()
}

/// `GET /invite/{token}`: what the link is for, and the way in.
pub async fn invite_page(
    State(state): State<AppState>,
    accepts: Accepts,
    Path(token): Path<String>,
) -> Result<Response, WebError> {
    let err = |e: ApiError| WebError::new(e, accepts.html);
    let invite = state
        .store
        .invite(token_hash(&token))
        .await
        .map_err(|e| err(e.into()))?
        .ok_or_else(|| err(ApiError::NotFound))?;
    let company = state
        .store
        .company(invite.company_id.clone())
        .await
        .map_err(|e| err(e.into()))?
        .map(|c| c.name)
        .unwrap_or_else(|| invite.company_id.0.clone());
    let now = Utc::now().timestamp_millis();
    let (status, body) = if invite.used_ms.is_some() {
        (
            StatusCode::CONFLICT,
            format!(
                "<h1>Invitation already used</h1><p class=\"err\">This link to the cabinet of {} \
                 was used on {}. Ask a colleague for a new one.</p><p><a href=\"/cabinet\">Open the cabinet</a></p>",
                esc(&company),
                date(invite.used_ms.unwrap_or_default())
            ),
        )
    } else if now >= invite.expires_ms {
        (
            StatusCode::GONE,
            format!(
                "<h1>Invitation expired</h1><p class=\"err\">This link to the cabinet of {} expired \
                 on {}. Ask a colleague for a new one.</p>",
                esc(&company),
                date(invite.expires_ms)
            ),
        )
    } else {
        (
            StatusCode::OK,
            format!(
                "<h1>Join {c}</h1><div class=\"card\"><p><strong>{n}</strong> is invited to the web \
                 cabinet of <strong>{c}</strong>, where staff answer residents' problem reports.</p>\
                 <p>The link works once, until {d}.</p><p><a id=\"accept\" href=\"/cabinet/login?invite={t}\">\
                 Sign in with your phone to accept</a></p></div>",
                c = esc(&company),
                n = esc(&invite.name),
                d = date(invite.expires_ms),
                t = url_part(&token)
            ),
        )
    };
    Ok((status, page("Invitation", None, &[], &body)).into_response())
}
