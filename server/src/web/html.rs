//! HTML building blocks of the server-rendered pages: escaping (every value that reaches a page
//! goes through [`esc`]), the shared layout, and [`WebError`], which answers a browser with a
//! page (or a redirect to the login) and any other client with the usual JSON error.

use axum::{
    http::{StatusCode, header},
    response::{Html, IntoResponse, Redirect, Response},
};

use crate::error::ApiError;

/// Escapes text for HTML element content and double-quoted attribute values.
pub fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Percent-encodes a value for a URL query or path segment.
pub fn url_part(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

const STYLE: &str = "body{font:15px/1.45 system-ui,sans-serif;margin:0;color:#1d2433;background:#f6f7f9}\
header{background:#1f4e79;color:#fff;padding:10px 20px;display:flex;gap:18px;align-items:center}\
header a{color:#fff;text-decoration:none}header .who{margin-left:auto;opacity:.85}\
main{padding:18px 20px;max-width:1150px}h1{font-size:22px;margin:4px 0 14px}\
table{border-collapse:collapse;background:#fff;width:100%}th,td{border:1px solid #d8dce3;padding:6px 8px;text-align:left;vertical-align:top}\
th{background:#eef1f5}tr.overdue td{background:#fde8e8}.badge{display:inline-block;padding:1px 7px;border-radius:9px;background:#e3e8ef;font-size:13px}\
.badge.overdue{background:#c62828;color:#fff}.num{text-align:right;font-variant-numeric:tabular-nums}\
form.inline{display:inline-block;margin:4px 12px 4px 0}.card{background:#fff;border:1px solid #d8dce3;padding:12px 14px;margin:0 0 14px}\
.err{background:#fde8e8;border:1px solid #e57373;padding:8px 12px}.ok{background:#e8f5e9;border:1px solid #81c784;padding:8px 12px}\
.photos img{max-height:180px;margin:0 8px 8px 0;border:1px solid #ccc}details{margin:4px 0}small,.muted{color:#5b6578}\
textarea{width:100%;max-width:560px}code{font-size:12px;word-break:break-all}";

/// A whole page: `title` (plain text), the navigation for `who` (plain text; `None` for a
/// visitor) and `body` (HTML the caller built with [`esc`]).
pub fn page(title: &str, who: Option<&str>, nav: &[(&str, &str)], body: &str) -> Html<String> {
    let mut links = String::new();
    for (href, label) in nav {
        links.push_str(&format!("<a href=\"{}\">{}</a>", esc(href), esc(label)));
    }
    let who = who
        .map(|w| format!("<span class=\"who\">{}</span>", esc(w)))
        .unwrap_or_default();
    Html(format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{t} · CommunityConnect</title><style>{STYLE}</style></head><body>\
         <header><strong>CommunityConnect</strong>{links}{who}</header><main>{body}</main></body></html>",
        t = esc(title)
    ))
}

/// A handler's failure, answered the way its client reads: a browser (`Accept: text/html`) gets
/// a page, or the login page when signed out; API clients get the JSON error shape.
#[derive(Debug)]
pub struct WebError {
    /// What went wrong.
    pub error: ApiError,
    /// The client asked for HTML.
    pub html: bool,
}

impl WebError {
    /// Wraps an error for a client that does (`html`) or does not read HTML.
    pub fn new(error: ApiError, html: bool) -> Self {
        WebError { error, html }
    }
}

impl IntoResponse for WebError {
    fn into_response(self) -> Response {
        if !self.html {
            return self.error.into_response();
        }
        let status = self.error.status();
        if status == StatusCode::UNAUTHORIZED && matches!(self.error, ApiError::Unauthorized) {
            return Redirect::to("/cabinet/login").into_response();
        }
        let message = if status.is_server_error() {
            tracing::error!(error = %self.error, "page failed");
            "Something went wrong on our side. Try again later.".to_owned()
        } else {
            self.error.to_string()
        };
        let body = format!(
            "<h1>{}</h1><p class=\"err\">{}</p><p><a href=\"/cabinet\">Cabinet</a></p>",
            esc(status.canonical_reason().unwrap_or("Error")),
            esc(&message)
        );
        let mut res = (status, page("Error", None, &[], &body)).into_response();
        res.headers_mut().insert(
            header::CACHE_CONTROL,
            header::HeaderValue::from_static("no-store"),
        );
        res
    }
}

/// True when the request's `Accept` header asks for HTML (browsers navigating do).
pub fn wants_html(headers: &axum::http::HeaderMap) -> bool {
    headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("text/html"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markup_in_values_is_escaped_and_urls_are_percent_encoded() {
        assert_eq!(
            esc("<script>alert('x')</script> & \"q\""),
            "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;q&quot;"
        );
        assert_eq!(url_part("a b&c=д"), "a%20b%26c%3D%D0%B4");
    }
}
