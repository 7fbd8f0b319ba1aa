//! The login rules: issuing and checking one-time codes, and creating sessions. Every function
//! takes `now`, so tests move the clock instead of sleeping.

use chrono::{DateTime, Duration, Utc};
use connect_core::{
    api::auth::{SendCodeResponse, SessionResponse},
    auth::{PhoneNumber, Role},
};

use crate::{
    AppState,
    error::ApiError,
    store::{CodeCheck, Grant, IssueOutcome, NewCode},
};

/// How long a code is valid.
pub const CODE_TTL_SECS: u32 = 5 * 60;
/// Wrong attempts after which a code is burned.
pub const MAX_ATTEMPTS: u32 = 5;
/// Window of the per-IP send cap.
pub const IP_WINDOW_SECS: i64 = 3600;
/// Sessions live this long after their last use.
pub const SESSION_TTL: Duration = Duration::days(30);

/// Issues a code for `phone` and sends it. The answer does not depend on whether the number
/// belongs to a user.
pub async fn send_code(
    state: &AppState,
    phone: &PhoneNumber,
    client_ip: &str,
    now: DateTime<Utc>,
) -> Result<SendCodeResponse, ApiError> {
    let code = state
        .keys
        .new_code()
        .map_err(|e| ApiError::Internal(e.to_string()))?;
    let now_ms = now.timestamp_millis();
    let window_ms = IP_WINDOW_SECS * 1000;
    let ip_window_ms = now_ms - now_ms.rem_euclid(window_ms);
    let resend = state.settings.otp_resend_secs;
    let outcome = state
        .store
        .issue_code(NewCode {
            phone_index: state.keys.phone_index(phone.as_str()),
            code_hash: state.keys.code_hash(phone.as_str(), &code),
            now_ms,
            expires_ms: now_ms + i64::from(CODE_TTL_SECS) * 1000,
            resend_cutoff_ms: now_ms - i64::from(resend) * 1000,
            ip_key: format!("otp-ip:{client_ip}"),
            ip_window_ms,
            ip_limit: state.settings.otp_ip_limit,
        })
        .await?;
    match outcome {
        IssueOutcome::Issued => {}
        IssueOutcome::NumberThrottled => return Err(ApiError::RateLimited(resend)),
        IssueOutcome::IpLimited => {
            let left = (ip_window_ms + window_ms - now_ms).div_euclid(1000);
            return Err(ApiError::RateLimited(
                u32::try_from(left).unwrap_or(1).max(1),
            ));
        }
    }
    let text = format!("CommunityConnect code: {code}. Valid 5 minutes. Do not share it.");
    state
        .sms
        .send(phone, &text)
        .await
        .map_err(|e| ApiError::Internal(e.to_string()))?;
    metrics::counter!("connect_otp_sent_total").increment(1);
    Ok(SendCodeResponse {
        expires_in_s: CODE_TTL_SECS,
        resend_after_s: resend,
    })
}

/// Checks the code; on success finds or creates the user and opens a session.
pub async fn verify(
    state: &AppState,
    phone: &PhoneNumber,
    code: &str,
    now: DateTime<Utc>,
) -> Result<SessionResponse, ApiError> {
    let index = state.keys.phone_index(phone.as_str());
    let check = state
        .store
        .check_code(
            index.clone(),
            state.keys.code_hash(phone.as_str(), code.trim()),
            now.timestamp_millis(),
            MAX_ATTEMPTS,
        )
        .await?;
    if check != CodeCheck::Valid {
        return Err(ApiError::InvalidCode);
    }
    let sealed = state
        .keys
        .encrypt_phone(phone.as_str())
        .map_err(|e| ApiError::Internal(e.to_string()))?;
    let user = state
        .store
        .ensure_user(index, sealed, now.timestamp_millis())
        .await?;
    if state.settings.admin_phone.as_ref() == Some(phone) {
        state
            .store
            .grant(
                user,
                Grant {
                    role: Role::Admin,
                    scope: None,
                },
            )
            .await?;
    }
    let (token, hash) = state
        .keys
        .new_token()
        .map_err(|e| ApiError::Internal(e.to_string()))?;
    let expires = now + SESSION_TTL;
    state
        .store
        .create_session(
            hash,
            user,
            now.timestamp_millis(),
            expires.timestamp_millis(),
        )
        .await?;
    let mut roles: Vec<Role> = state
        .store
        .grants(user)
        .await?
        .into_iter()
        .map(|g| g.role)
        .collect();
    roles.dedup();
    Ok(SessionResponse {
        token,
        user_id: user,
        roles,
        expires_at: expires,
    })
}
