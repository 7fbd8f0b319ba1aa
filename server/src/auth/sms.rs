//! Sending SMS: the [`SmsSender`] trait, the production [`WebhookSmsSender`] and the demo's
//! [`LogSmsSender`] (the only place a code is ever written to a log).

use async_trait::async_trait;
use connect_core::auth::PhoneNumber;

/// A failed SMS delivery.
#[derive(Debug, thiserror::Error)]
pub enum SmsError {
    /// The webhook could not be reached or answered with an error status.
    #[error("sms webhook failed: {0}")]
    Webhook(String),
}

/// Delivers a text message to a phone.
#[async_trait]
pub trait SmsSender: Send + Sync {
    /// Sends `text` to `to`.
    async fn send(&self, to: &PhoneNumber, text: &str) -> Result<(), SmsError>;
}

/// POSTs `{"to": "+7…", "text": "…"}` to a configured URL (an SMS gateway adapter).
pub struct WebhookSmsSender {
    url: String,
    http: reqwest::Client,
}

impl WebhookSmsSender {
    /// A sender posting to `url`.
    pub fn new(url: String) -> Self {
        let http = reqwest::Client::builder()
            .timeout(std::time::Duration::from_secs(10))
            .build()
            .unwrap_or_default();
        WebhookSmsSender { url, http }
    }
}

#[async_trait]
impl SmsSender for WebhookSmsSender {
    async fn send(&self, to: &PhoneNumber, text: &str) -> Result<(), SmsError> {
        let body = serde_json::json!({ "to": to.as_str(), "text": text });
        let res = self
            .http
            .post(&self.url)
            .json(&body)
            .send()
            .await
            .map_err(|e| SmsError::Webhook(e.without_url().to_string()))?;
        if !res.status().is_success() {
            return Err(SmsError::Webhook(format!("status {}", res.status())));
        }
        Ok(())
    }
}

/// Writes the message to the log at INFO with target `sms` (demo only).
pub struct LogSmsSender;

#[async_trait]
impl SmsSender for LogSmsSender {
    async fn send(&self, to: &PhoneNumber, text: &str) -> Result<(), SmsError> {
        // Demo only: the person trying the demo reads the code here. Never use in production.
        tracing::info!(target: "sms", to = to.as_str(), "{text}");
        Ok(())
    }
}
