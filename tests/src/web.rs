//! The web cabinet driven over plain HTTP: a browser stand-in that keeps cookies, and the login
//! through the cabinet's own pages.

use reqwest::{
    StatusCode,
    header::{HeaderMap, LOCATION, SET_COOKIE},
    redirect::Policy,
};

use crate::TestServer;

/// A browser stand-in: keeps cookies, never follows redirects, asks for HTML.
pub struct Browser {
    base: String,
    http: reqwest::Client,
    /// Cookies kept so far (name, value).
    pub cookies: Vec<(String, String)>,
}

impl Browser {
    pub fn new(base: &str) -> Browser {
        Browser {
            base: base.to_owned(),
            http: reqwest::Client::builder()
                .redirect(Policy::none())
                .build()
                .unwrap(),
            cookies: Vec::new(),
        }
    }

    fn cookie_header(&self) -> String {
        self.cookies
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    fn keep(&mut self, headers: &HeaderMap) -> Vec<String> {
        let mut raw = Vec::new();
        for v in headers.get_all(SET_COOKIE) {
            let v = v.to_str().unwrap().to_owned();
            let (k, rest) = v.split_once('=').unwrap();
            let value = rest.split(';').next().unwrap().to_owned();
            self.cookies.retain(|(n, _)| n != k);
            if !v.contains("Max-Age=0") {
                self.cookies.push((k.to_owned(), value));
            }
            raw.push(v);
        }
        raw
    }

    pub async fn get(&mut self, path: &str) -> (StatusCode, HeaderMap, String) {
        let res = self
            .http
            .get(format!("{}{path}", self.base))
            .header("accept", "text/html")
            .header("cookie", self.cookie_header())
            .send()
            .await
            .unwrap();
        let (s, h) = (res.status(), res.headers().clone());
        self.keep(&h);
        (s, h, res.text().await.unwrap())
    }

    pub async fn post(
        &mut self,
        path: &str,
        form: &[(&str, &str)],
        extra: &[(&str, &str)],
    ) -> (StatusCode, HeaderMap, String) {
        let mut req = self
            .http
            .post(format!("{}{path}", self.base))
            .header("accept", "text/html")
            .header("cookie", self.cookie_header())
            .form(form);
        for (k, v) in extra {
            req = req.header(*k, *v);
        }
        let res = req.send().await.unwrap();
        let (s, h) = (res.status(), res.headers().clone());
        self.keep(&h);
        (s, h, res.text().await.unwrap())
    }
}

/// The value of the first hidden input `name` on a page.
pub fn hidden(page: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let start = page.find(&marker).expect(name) + marker.len();
    page[start..].split('"').next().unwrap().to_owned()
}

pub fn location(h: &HeaderMap) -> &str {
    h.get(LOCATION).unwrap().to_str().unwrap()
}

/// Signs a browser in through the login pages with the code the SMS sink received.
pub async fn sign_in(b: &mut Browser, server: &TestServer, phone: &str) -> String {
    let (s, _, page) = b.get("/cabinet/login").await;
    assert_eq!(s, StatusCode::OK);
    let nonce = hidden(&page, "nonce");
    let (s, _, page) = b
        .post(
            "/cabinet/login",
            &[("phone", phone), ("nonce", &nonce)],
            &[],
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{page}");
    let code = server.sms.last_code(phone).unwrap();
    let (s, h, _) = b
        .post(
            "/cabinet/login/verify",
            &[("phone", phone), ("code", &code), ("nonce", &nonce)],
            &[],
        )
        .await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    let set: Vec<String> = h
        .get_all(SET_COOKIE)
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .collect();
    let session = set
        .iter()
        .find(|c| c.starts_with("cc_session="))
        .expect("a session cookie");
    assert!(
        session.contains("HttpOnly") && session.contains("SameSite=Strict"),
        "{session}"
    );
    location(&h).to_owned()
}

/// One company's entry in `GET /v1/rating`.
pub fn company_rating<'a>(rating: &'a serde_json::Value, company: &str) -> &'a serde_json::Value {
    rating["companies"]
        .as_array()
        .expect("companies")
        .iter()
        .find(|c| c["company_id"] == company)
        .unwrap_or_else(|| panic!("{company} in {rating}"))
}
