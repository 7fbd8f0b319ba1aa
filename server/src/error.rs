//! The one error type of every handler, [`ApiError`], and the JSON extractor [`Json`] whose
//! rejections use the same shape. Every failure answers `{"error": {"code", "message"}}` with a
//! stable [`ErrorCode`]; details of 5xx errors stay in the log (recorded by the logging middleware
//! from the response extensions), never in the body.

use axum::{
    extract::{FromRequest, Request, rejection::JsonRejection},
    http::{HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};
use connect_core::{
    api::{ErrorBody, ErrorCode},
    points::VoucherError,
};
use serde::{Serialize, de::DeserializeOwned};

use crate::store::StoreError;

/// A failed request.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// The body is not JSON of the expected shape.
    #[error("malformed request: {0}")]
    Malformed(String),
    /// A field value is refused.
    #[error("{0}")]
    InvalidInput(String),
    /// A query parameter is missing or refused (400 `invalid_input`, unlike a refused body field).
    #[error("{0}")]
    InvalidQuery(String),
    /// The body exceeds `CONNECT_BODY_LIMIT`.
    #[error("request body too large")]
    PayloadTooLarge,
    /// No valid session.
    #[error("sign in first")]
    Unauthorized,
    /// The session may not do this.
    #[error("not allowed")]
    Forbidden,
    /// No such route or object (or it belongs to another tenant).
    #[error("not found")]
    NotFound,
    /// The object already exists or conflicts with existing state.
    #[error("{0}")]
    Conflict(String),
    /// Too many requests; retry after this many seconds.
    #[error("too many requests")]
    RateLimited(u32),
    /// The server is at capacity; retry after this many seconds (answered as 429).
    #[error("the server is busy; retry later")]
    Overloaded(u32),
    /// The one-time code is wrong, expired or used up.
    #[error("the code is wrong or expired; request a new one")]
    InvalidCode,
    /// A voucher was refused (forged, expired, wrong partner, already redeemed).
    #[error("{0}")]
    Voucher(connect_core::points::VoucherError),
    /// The balance does not cover the voucher.
    #[error("not enough points (balance {0})")]
    InsufficientPoints(i64),
    /// An account code was refused (mistyped, unknown, replaced or already used).
    #[error("{0}")]
    AccountCode(crate::qr::ClaimError),
    /// The store failed.
    #[error("store: {0}")]
    Store(#[from] StoreError),
    /// Anything else that is our fault.
    #[error("internal: {0}")]
    Internal(String),
}

impl ApiError {
    /// The HTTP status.
    pub fn status(&self) -> StatusCode {
        match self {
            ApiError::Malformed(_) => StatusCode::BAD_REQUEST,
            ApiError::InvalidInput(_) => StatusCode::UNPROCESSABLE_ENTITY,
            ApiError::InvalidQuery(_) => StatusCode::BAD_REQUEST,
            ApiError::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::Unauthorized | ApiError::InvalidCode => StatusCode::UNAUTHORIZED,
            ApiError::Forbidden => StatusCode::FORBIDDEN,
            ApiError::NotFound => StatusCode::NOT_FOUND,
            ApiError::Conflict(_) => StatusCode::CONFLICT,
            ApiError::RateLimited(_) | ApiError::Overloaded(_) => StatusCode::TOO_MANY_REQUESTS,
            ApiError::Voucher(e) => match e {
                VoucherError::WrongPartner => StatusCode::FORBIDDEN,
                VoucherError::AlreadyRedeemed => StatusCode::CONFLICT,
                VoucherError::Expired => StatusCode::GONE,
                VoucherError::Malformed | VoucherError::UnknownKey | VoucherError::Forged => {
                    StatusCode::UNPROCESSABLE_ENTITY
                }
            },
            ApiError::InsufficientPoints(_) => StatusCode::CONFLICT,
            ApiError::AccountCode(crate::qr::ClaimError::AlreadyClaimed) => StatusCode::CONFLICT,
            ApiError::AccountCode(_) => StatusCode::UNPROCESSABLE_ENTITY,
            ApiError::Store(_) | ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The stable code.
    pub fn code(&self) -> ErrorCode {
        match self {
            ApiError::Malformed(_) => ErrorCode::MalformedRequest,
            ApiError::InvalidInput(_) | ApiError::InvalidQuery(_) => ErrorCode::InvalidInput,
            ApiError::PayloadTooLarge => ErrorCode::PayloadTooLarge,
            ApiError::Unauthorized => ErrorCode::Unauthorized,
            ApiError::Forbidden => ErrorCode::Forbidden,
            ApiError::NotFound => ErrorCode::NotFound,
            ApiError::Conflict(_) => ErrorCode::Conflict,
            ApiError::RateLimited(_) => ErrorCode::RateLimited,
            ApiError::Overloaded(_) => ErrorCode::Overloaded,
            ApiError::InvalidCode => ErrorCode::InvalidCode,
            ApiError::Voucher(e) => match e {
                VoucherError::WrongPartner => ErrorCode::WrongPartner,
                VoucherError::AlreadyRedeemed => ErrorCode::AlreadyRedeemed,
                VoucherError::Expired => ErrorCode::Expired,
                // The server knows every key it signs with: anything it cannot open is forged.
                VoucherError::Malformed | VoucherError::UnknownKey | VoucherError::Forged => {
                    ErrorCode::Forged
                }
            },
            ApiError::InsufficientPoints(_) => ErrorCode::InsufficientPoints,
            ApiError::AccountCode(crate::qr::ClaimError::AlreadyClaimed) => {
                ErrorCode::AlreadyClaimed
            }
            ApiError::AccountCode(_) => ErrorCode::InvalidAccountCode,
            ApiError::Store(_) | ApiError::Internal(_) => ErrorCode::Internal,
        }
    }

    /// Turns a store error about a write into the client's view of it.
    pub fn from_write(e: StoreError) -> Self {
        match e {
            StoreError::Duplicate => ApiError::Conflict("already exists".into()),
            StoreError::MissingReference => {
                ApiError::InvalidInput("a referenced object does not exist".into())
            }
            other => ApiError::Store(other),
        }
    }
}

/// The logged detail of a server-side failure, carried in the response extensions.
#[derive(Debug, Clone)]
pub struct LoggedError(pub String);

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = self.status();
        let message = if status.is_server_error() {
            "internal error".to_owned()
        } else {
            self.to_string()
        };
        let mut res = (status, axum::Json(ErrorBody::new(self.code(), message))).into_response();
        if let ApiError::RateLimited(secs) | ApiError::Overloaded(secs) = self {
            res.headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        if status.is_server_error() {
            res.extensions_mut().insert(LoggedError(self.to_string()));
        }
        res
    }
}

/// `axum::Json` whose rejections answer in our error shape (`malformed_request`,
/// `payload_too_large`).
#[derive(Debug, Clone, Copy, Default)]
pub struct Json<T>(pub T);

impl<S, T> FromRequest<S> for Json<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        match axum::Json::<T>::from_request(req, state).await {
            Ok(axum::Json(v)) => Ok(Json(v)),
            Err(rejection) => Err(match rejection {
                JsonRejection::BytesRejection(r) if r.status() == StatusCode::PAYLOAD_TOO_LARGE => {
                    ApiError::PayloadTooLarge
                }
                other => ApiError::Malformed(other.body_text()),
            }),
        }
    }
}

impl<T: Serialize> IntoResponse for Json<T> {
    fn into_response(self) -> Response {
        axum::Json(self.0).into_response()
    }
}

/// Fallback for unknown routes.
pub async fn not_found() -> ApiError {
    ApiError::NotFound
}

/// Fallback for a known route with the wrong method.
pub async fn method_not_allowed() -> Response {
    let body = ErrorBody::new(ErrorCode::NotFound, "method not allowed on this route");
    (StatusCode::METHOD_NOT_ALLOWED, axum::Json(body)).into_response()
}

/// Turns a caught panic into a JSON 500 (the panic message is logged, never sent).
pub fn panic_response(err: Box<dyn std::any::Any + Send + 'static>) -> Response {
    let detail = err
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| err.downcast_ref::<&str>().map(|s| (*s).to_owned()))
        .unwrap_or_default();
    tracing::error!(panic = %detail, "handler panicked");
    ApiError::Internal("panic".into()).into_response()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use axum::body::to_bytes;

    use super::*;

    async fn body_of(res: Response) -> (StatusCode, ErrorBody) {
        let status = res.status();
        let bytes = to_bytes(res.into_body(), usize::MAX).await.unwrap();
        (status, serde_json::from_slice(&bytes).unwrap())
    }

    #[tokio::test]
    async fn a_caught_panic_answers_a_bare_internal_error() {
        let (status, body) = body_of(panic_response(Box::new("secret detail"))).await;
        assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
        assert_eq!(body.error.code, ErrorCode::Internal);
        assert!(!body.error.message.contains("secret"));
    }

    #[tokio::test]
    async fn server_errors_hide_their_detail_but_keep_it_for_the_log() {
        let res = ApiError::Internal("db password wrong".into()).into_response();
        let logged = res.extensions().get::<LoggedError>().cloned().unwrap();
        assert!(logged.0.contains("db password wrong"));
        let (_, body) = body_of(res).await;
        assert_eq!(body.error.message, "internal error");
    }

    #[tokio::test]
    async fn rate_limited_answers_carry_retry_after() {
        let res = ApiError::RateLimited(42).into_response();
        assert_eq!(res.headers()[header::RETRY_AFTER], "42");
        assert_eq!(body_of(res).await.1.error.code, ErrorCode::RateLimited);
    }
}
