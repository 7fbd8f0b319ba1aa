//! The error body every failed `/v1` call answers with.

use serde::{Deserialize, Serialize};

/// A stable, machine-readable error code. Clients branch on it; the message is for people.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// The body is not valid JSON or does not match the expected shape.
    MalformedRequest,
    /// A field has a value the server refuses (the message says which).
    InvalidInput,
    /// The body is larger than the server accepts.
    PayloadTooLarge,
    /// No session, or the session expired or was revoked.
    Unauthorized,
    /// The session is valid but may not do this.
    Forbidden,
    /// No such route or object (also answered for objects of other tenants).
    NotFound,
    /// The request conflicts with the current state.
    Conflict,
    /// Too many requests; retry after the `Retry-After` header.
    RateLimited,
    /// The server is overloaded; retry after the `Retry-After` header.
    Overloaded,
    /// The one-time code is wrong, expired or used up.
    InvalidCode,
    /// Something failed on the server; nothing about it is disclosed.
    Internal,
    /// A voucher the server did not sign (or not a voucher at all).
    Forged,
    /// A voucher past its expiry.
    Expired,
    /// A voucher made out for another partner.
    WrongPartner,
    /// A voucher that was already redeemed.
    AlreadyRedeemed,
    /// Not enough points for the voucher asked for.
    InsufficientPoints,
    /// The account code is not one the server issued (wrong, mistyped or replaced by a newer one).
    InvalidAccountCode,
    /// The account code was already used to claim its account.
    AlreadyClaimed,
}

/// `{"error": {"code": "...", "message": "..."}}`
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ErrorBody {
    /// The error.
    pub error: ErrorDetail,
}

/// Code and human message of an error.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ErrorDetail {
    /// Stable code.
    pub code: ErrorCode,
    /// Human-readable message, safe to show.
    pub message: String,
}

impl ErrorBody {
    /// Builds a body.
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        ErrorBody {
            error: ErrorDetail {
                code,
                message: message.into(),
            },
        }
    }
}

impl ErrorCode {
    /// The wire spelling (`invalid_code`, …), for clients that pass the code on as a string.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::MalformedRequest => "malformed_request",
            ErrorCode::InvalidInput => "invalid_input",
            ErrorCode::PayloadTooLarge => "payload_too_large",
            ErrorCode::Unauthorized => "unauthorized",
            ErrorCode::Forbidden => "forbidden",
            ErrorCode::NotFound => "not_found",
            ErrorCode::Conflict => "conflict",
            ErrorCode::RateLimited => "rate_limited",
            ErrorCode::Overloaded => "overloaded",
            ErrorCode::InvalidCode => "invalid_code",
            ErrorCode::Internal => "internal",
            ErrorCode::Forged => "forged",
            ErrorCode::Expired => "expired",
            ErrorCode::WrongPartner => "wrong_partner",
            ErrorCode::AlreadyRedeemed => "already_redeemed",
            ErrorCode::InsufficientPoints => "insufficient_points",
            ErrorCode::InvalidAccountCode => "invalid_account_code",
            ErrorCode::AlreadyClaimed => "already_claimed",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_plain_spelling_of_every_code_is_its_wire_spelling() {
        use ErrorCode::*;
        for code in [
            MalformedRequest,
            InvalidInput,
            PayloadTooLarge,
            Unauthorized,
            Forbidden,
            NotFound,
            Conflict,
            RateLimited,
            Overloaded,
            InvalidCode,
            Internal,
            Forged,
            Expired,
            WrongPartner,
            AlreadyRedeemed,
            InsufficientPoints,
            InvalidAccountCode,
            AlreadyClaimed,
        ] {
            assert_eq!(
                serde_json::to_value(code).ok(),
                Some(serde_json::Value::from(code.as_str()))
            );
        }
    }
}
