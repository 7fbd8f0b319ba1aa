//! The `/v1` calls the app makes, behind a small trait so the engine can run against the real
//! HTTP client or an in-process server in tests. [`HttpTransport`] is reqwest with rustls,
//! `Authorization: Bearer`, and timeouts.

use std::time::Duration;

use async_trait::async_trait;
use reqwest::{StatusCode, header};
use serde::{Serialize, de::DeserializeOwned};

use crate::{
    api::{
        ErrorBody, ErrorCode,
        auth::{MeResponse, SendCodeRequest, SendCodeResponse, SessionResponse, VerifyCodeRequest},
        outages::OutageListResponse,
        points::{
            CreateVoucherRequest, CreateVoucherResponse, PointsResponse, RedeemRequest,
            RedeemResponse,
        },
        property::PropertyResponse,
        qr::{ClaimAccountRequest, ClaimAccountResponse},
        readings::{ReadingBatchRequest, ReadingBatchResponse},
        reports::{
            CategoriesResponse, FileReportRequest, FiledReportResponse, RatingRequest,
            ReopenRequest, ReportView,
        },
        sync::SyncResponse,
    },
    ids::ReportId,
};

/// Why a call got no usable answer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TransportError {
    /// HTTP 401: no session, or it expired or was revoked.
    #[error("the session is not valid (401)")]
    Unauthorized,
    /// HTTP 429 or 503: the server asks to come back later.
    #[error("the server is busy; retry after {0:?}")]
    RetryAfter(Duration),
    /// HTTP 404 (a route this server does not have).
    #[error("not found (404)")]
    NotFound,
    /// The server refused the request (4xx); the message is the server's, safe to show.
    #[error("the server refused the request ({status}): {message}")]
    Refused {
        /// HTTP status.
        status: u16,
        /// The server's error code, if its body had one.
        code: Option<ErrorCode>,
        /// The server's message.
        message: String,
    },
    /// HTTP 5xx.
    #[error("the server failed ({0})")]
    Server(u16),
    /// No answer: connection refused or reset, DNS, TLS, timeout.
    #[error("network error: {0}")]
    Network(String),
    /// An answer that does not parse.
    #[error("unreadable answer from the server: {0}")]
    Decode(String),
}

/// The server calls the app makes.
#[async_trait]
pub trait Transport: Send + Sync {
    /// `POST /v1/auth/code`.
    async fn send_code(
        &self,
        request: &SendCodeRequest,
    ) -> Result<SendCodeResponse, TransportError>;
    /// `POST /v1/auth/verify`.
    async fn verify_code(
        &self,
        request: &VerifyCodeRequest,
    ) -> Result<SessionResponse, TransportError>;
    /// `POST /v1/auth/logout`.
    async fn logout(&self, token: &str) -> Result<(), TransportError>;
    /// `GET /v1/property`.
    async fn property(&self, token: &str) -> Result<PropertyResponse, TransportError>;
    /// `POST /v1/readings:batch`.
    async fn upload_readings(
        &self,
        token: &str,
        batch: &ReadingBatchRequest,
    ) -> Result<ReadingBatchResponse, TransportError>;
    /// `GET /v1/sync?since=<cursor>`.
    async fn pull(&self, token: &str, since: Option<&str>) -> Result<SyncResponse, TransportError>;
    /// `GET /v1/outages?bbox=west,south,east,north` (public). Transports without it answer
    /// [`TransportError::NotFound`].
    async fn outages_in(&self, bbox: [f64; 4]) -> Result<OutageListResponse, TransportError> {
        let _ = bbox;
        Err(TransportError::NotFound)
    }
    /// `GET /v1/me`. Transports without it answer [`TransportError::NotFound`].
    async fn me(&self, token: &str) -> Result<MeResponse, TransportError> {
        let _ = token;
        Err(TransportError::NotFound)
    }
    /// `GET /v1/points`. Transports without it answer [`TransportError::NotFound`].
    async fn points(&self, token: &str) -> Result<PointsResponse, TransportError> {
        let _ = token;
        Err(TransportError::NotFound)
    }
    /// `POST /v1/vouchers`. Transports without it answer [`TransportError::NotFound`].
    async fn create_voucher(
        &self,
        token: &str,
        request: &CreateVoucherRequest,
    ) -> Result<CreateVoucherResponse, TransportError> {
        let _ = (token, request);
        Err(TransportError::NotFound)
    }
    /// `POST /v1/partner/redeem`. Transports without it answer [`TransportError::NotFound`].
    async fn redeem_voucher(
        &self,
        token: &str,
        request: &RedeemRequest,
    ) -> Result<RedeemResponse, TransportError> {
        let _ = (token, request);
        Err(TransportError::NotFound)
    }
    /// `GET /v1/geo/pack?region=…` (public) with `If-None-Match` when a pack is installed.
    /// Transports without it answer [`TransportError::NotFound`].
    async fn geo_pack(
        &self,
        region: &str,
        if_none_match: Option<&str>,
    ) -> Result<PackDownload, TransportError> {
        let _ = (region, if_none_match);
        Err(TransportError::NotFound)
    }
    /// `POST /v1/accounts:claim`. Transports without it answer [`TransportError::NotFound`].
    async fn claim_account(
        &self,
        token: &str,
        request: &ClaimAccountRequest,
    ) -> Result<ClaimAccountResponse, TransportError> {
        let _ = (token, request);
        Err(TransportError::NotFound)
    }
    /// `GET /v1/report-categories` (public). Transports without it answer
    /// [`TransportError::NotFound`], as do the other report calls.
    async fn report_categories(&self) -> Result<CategoriesResponse, TransportError> {
        Err(TransportError::NotFound)
    }
    /// `POST /v1/reports`.
    async fn file_report(
        &self,
        token: &str,
        request: &FileReportRequest,
    ) -> Result<FiledReportResponse, TransportError> {
        let _ = (token, request);
        Err(TransportError::NotFound)
    }
    /// `GET /v1/reports/{id}/photos/{n}`: the JPEG of a photo exactly as it was filed (for a report
    /// filed on another device).
    async fn report_photo(
        &self,
        token: &str,
        id: ReportId,
        n: u32,
    ) -> Result<Vec<u8>, TransportError> {
        let _ = (token, id, n);
        Err(TransportError::NotFound)
    }
    /// `POST /v1/reports/{id}/rating`.
    async fn rate_report(
        &self,
        token: &str,
        id: ReportId,
        request: &RatingRequest,
    ) -> Result<ReportView, TransportError> {
        let _ = (token, id, request);
        Err(TransportError::NotFound)
    }
    /// `POST /v1/reports/{id}/reopen`.
    async fn reopen_report(
        &self,
        token: &str,
        id: ReportId,
        request: &ReopenRequest,
    ) -> Result<ReportView, TransportError> {
        let _ = (token, id, request);
        Err(TransportError::NotFound)
    }
}

/// The server's answer to a pack request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PackDownload {
    /// 304: the pack named by `If-None-Match` is current.
    NotModified,
    /// 200: the pack's bytes, unchecked.
    Pack(Vec<u8>),
}

/// How long a pack download may take (a city is a few megabytes, on a slow mobile link).
const PACK_TIMEOUT: Duration = Duration::from_secs(300);

/// Used when a 429/503 carries no usable `Retry-After`.
const DEFAULT_RETRY_AFTER: Duration = Duration::from_secs(30);

/// The real transport: reqwest with rustls.
#[derive(Debug, Clone)]
pub struct HttpTransport {
    client: reqwest::Client,
    base: String,
}

impl HttpTransport {
    /// A client for the server at `base_url` (e.g. `https://connect.example`).
    pub fn new(base_url: &str) -> Result<Self, TransportError> {
        let client = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(10))
            .timeout(Duration::from_secs(30))
            .user_agent(concat!("connect-core/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| TransportError::Network(e.to_string()))?;
        Ok(HttpTransport {
            client,
            base: base_url.trim_end_matches('/').to_owned(),
        })
    }

    async fn send<T: DeserializeOwned>(
        &self,
        request: reqwest::RequestBuilder,
    ) -> Result<T, TransportError> {
        let response = request
            .send()
            .await
            .map_err(|e| TransportError::Network(without_url(&e)))?;
        if response.status().is_success() {
            let bytes = response
                .bytes()
                .await
                .map_err(|e| TransportError::Network(without_url(&e)))?;
            // An empty 2xx body reads as JSON null (logout answers 204).
            let bytes: &[u8] = if bytes.is_empty() { b"null" } else { &bytes };
            return serde_json::from_slice(bytes)
                .map_err(|e| TransportError::Decode(e.to_string()));
        }
        Err(refusal(response).await)
    }

    fn post<B: Serialize + ?Sized>(&self, path: &str, body: &B) -> reqwest::RequestBuilder {
        self.client.post(format!("{}{path}", self.base)).json(body)
    }

    fn get(&self, path: &str) -> reqwest::RequestBuilder {
        self.client.get(format!("{}{path}", self.base))
    }
}

/// The error of a non-2xx answer.
async fn refusal(response: reqwest::Response) -> TransportError {
    let status = response.status();
    let retry_after = response
        .headers()
        .get(header::RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok())
        .map(Duration::from_secs);
    match status {
        StatusCode::UNAUTHORIZED => TransportError::Unauthorized,
        StatusCode::TOO_MANY_REQUESTS | StatusCode::SERVICE_UNAVAILABLE => {
            TransportError::RetryAfter(retry_after.unwrap_or(DEFAULT_RETRY_AFTER))
        }
        StatusCode::NOT_FOUND => TransportError::NotFound,
        s if s.is_client_error() => {
            let body = response.json::<ErrorBody>().await.ok();
            TransportError::Refused {
                status: s.as_u16(),
                code: body.as_ref().map(|b| b.error.code),
                message: body.map(|b| b.error.message).unwrap_or_default(),
            }
        }
        s => TransportError::Server(s.as_u16()),
    }
}

/// reqwest errors print the URL; ours carry no personal data, but keep messages short and stable.
fn without_url(e: &reqwest::Error) -> String {
    let kind = if e.is_timeout() {
        "timeout"
    } else if e.is_connect() {
        "could not connect"
    } else if e.is_body() || e.is_decode() {
        "broken answer"
    } else {
        "request failed"
    };
    kind.to_owned()
}

#[async_trait]
impl Transport for HttpTransport {
    async fn send_code(
        &self,
        request: &SendCodeRequest,
    ) -> Result<SendCodeResponse, TransportError> {
        self.send(self.post("/v1/auth/code", request)).await
    }

    async fn verify_code(
        &self,
        request: &VerifyCodeRequest,
    ) -> Result<SessionResponse, TransportError> {
        self.send(self.post("/v1/auth/verify", request)).await
    }

    async fn logout(&self, token: &str) -> Result<(), TransportError> {
        let _: serde_json::Value = self
            .send(self.post("/v1/auth/logout", &()).bearer_auth(token))
            .await?;
        Ok(())
    }

    async fn property(&self, token: &str) -> Result<PropertyResponse, TransportError> {
        self.send(self.get("/v1/property").bearer_auth(token)).await
    }

    async fn upload_readings(
        &self,
        token: &str,
        batch: &ReadingBatchRequest,
    ) -> Result<ReadingBatchResponse, TransportError> {
        self.send(self.post("/v1/readings:batch", batch).bearer_auth(token))
            .await
    }

    async fn outages_in(&self, bbox: [f64; 4]) -> Result<OutageListResponse, TransportError> {
        let [w, s, e, n] = bbox;
        self.send(
            self.get("/v1/outages")
                .query(&[("bbox", format!("{w},{s},{e},{n}"))]),
        )
        .await
    }

    async fn me(&self, token: &str) -> Result<MeResponse, TransportError> {
        self.send(self.get("/v1/me").bearer_auth(token)).await
    }

    async fn points(&self, token: &str) -> Result<PointsResponse, TransportError> {
        self.send(self.get("/v1/points").bearer_auth(token)).await
    }

    async fn create_voucher(
        &self,
        token: &str,
        request: &CreateVoucherRequest,
    ) -> Result<CreateVoucherResponse, TransportError> {
        self.send(self.post("/v1/vouchers", request).bearer_auth(token))
            .await
    }

    async fn redeem_voucher(
        &self,
        token: &str,
        request: &RedeemRequest,
    ) -> Result<RedeemResponse, TransportError> {
        self.send(self.post("/v1/partner/redeem", request).bearer_auth(token))
            .await
    }

    async fn geo_pack(
        &self,
        region: &str,
        if_none_match: Option<&str>,
    ) -> Result<PackDownload, TransportError> {
        let mut request = self
            .get("/v1/geo/pack")
            .query(&[("region", region)])
            .timeout(PACK_TIMEOUT);
        if let Some(etag) = if_none_match {
            request = request.header(header::IF_NONE_MATCH, etag);
        }
        let response = request
            .send()
            .await
            .map_err(|e| TransportError::Network(without_url(&e)))?;
        match response.status() {
            StatusCode::NOT_MODIFIED => Ok(PackDownload::NotModified),
            s if s.is_success() => {
                let bytes = response
                    .bytes()
                    .await
                    .map_err(|e| TransportError::Network(without_url(&e)))?;
                Ok(PackDownload::Pack(bytes.to_vec()))
            }
            _ => Err(refusal(response).await),
        }
    }

    async fn claim_account(
        &self,
        token: &str,
        request: &ClaimAccountRequest,
    ) -> Result<ClaimAccountResponse, TransportError> {
        self.send(self.post("/v1/accounts:claim", request).bearer_auth(token))
            .await
    }

    async fn report_categories(&self) -> Result<CategoriesResponse, TransportError> {
        self.send(self.get("/v1/report-categories")).await
    }

    async fn file_report(
        &self,
        token: &str,
        request: &FileReportRequest,
    ) -> Result<FiledReportResponse, TransportError> {
        self.send(self.post("/v1/reports", request).bearer_auth(token))
            .await
    }

    async fn report_photo(
        &self,
        token: &str,
        id: ReportId,
        n: u32,
    ) -> Result<Vec<u8>, TransportError> {
        let response = self
            .get(&format!("/v1/reports/{}/photos/{n}", id.0))
            .bearer_auth(token)
            .send()
            .await
            .map_err(|e| TransportError::Network(without_url(&e)))?;
        if !response.status().is_success() {
            return Err(refusal(response).await);
        }
        let bytes = response
            .bytes()
            .await
            .map_err(|e| TransportError::Network(without_url(&e)))?;
        Ok(bytes.to_vec())
    }

    async fn rate_report(
        &self,
        token: &str,
        id: ReportId,
        request: &RatingRequest,
    ) -> Result<ReportView, TransportError> {
        self.send(
            self.post(&format!("/v1/reports/{}/rating", id.0), request)
                .bearer_auth(token),
        )
        .await
    }

    async fn reopen_report(
        &self,
        token: &str,
        id: ReportId,
        request: &ReopenRequest,
    ) -> Result<ReportView, TransportError> {
        self.send(
            self.post(&format!("/v1/reports/{}/reopen", id.0), request)
                .bearer_auth(token),
        )
        .await
    }

    async fn pull(&self, token: &str, since: Option<&str>) -> Result<SyncResponse, TransportError> {
        let mut request = self.get("/v1/sync").bearer_auth(token);
        if let Some(since) = since {
            request = request.query(&[("since", since)]);
        }
        self.send(request).await
    }
}
