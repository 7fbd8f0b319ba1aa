//! Sending e-mail: the [`MailSender`] trait (like [`crate::auth::sms::SmsSender`]), the production
//! [`WebhookMailSender`] (POSTs the message to a mail gateway adapter, e.g. one that speaks SMTP),
//! [`DirMailSender`] (writes one `.eml` file per message into a folder, for a local MTA pickup
//! directory or to read by hand) and the demo's [`LogMailSender`].

use std::path::PathBuf;

use async_trait::async_trait;

/// A failed delivery.
#[derive(Debug, thiserror::Error)]
pub enum MailError {
    /// The webhook could not be reached or answered with an error status.
    #[error("mail webhook failed: {0}")]
    Webhook(String),
    /// The message file could not be written.
    #[error("writing the mail file failed: {0}")]
    Write(String),
}

/// One plain-text message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mail {
    /// Recipient address.
    pub to: String,
    /// Subject line.
    pub subject: String,
    /// Plain-text body.
    pub text: String,
}

/// Delivers e-mail.
#[async_trait]
pub trait MailSender: Send + Sync {
    /// Sends one message.
    async fn send(&self, mail: &Mail) -> Result<(), MailError>;
}

/// POSTs `{"to", "subject", "text"}` to a configured URL (`CONNECT_MAIL_WEBHOOK`).
pub struct WebhookMailSender {
    url: String,
    http: reqwest::Client,
}

impl WebhookMailSender {
    /// A sender posting to `url`.
    pub fn new(url: String) -> Self {
        let http = reqwest::Client::builder()
            .timeout(std::time::Duration::from_secs(10))
            .build()
            .unwrap_or_default();
        WebhookMailSender { url, http }
    }
}

#[async_trait]
impl MailSender for WebhookMailSender {
    async fn send(&self, mail: &Mail) -> Result<(), MailError> {
        let body = serde_json::json!({ "to": mail.to, "subject": mail.subject, "text": mail.text });
        let res = self
            .http
            .post(&self.url)
            .json(&body)
            .send()
            .await
            .map_err(|e| MailError::Webhook(e.without_url().to_string()))?;
        if !res.status().is_success() {
            return Err(MailError::Webhook(format!("status {}", res.status())));
        }
        Ok(())
    }
}

/// Writes each message as `<unix millis>-<uuid>.eml` into a folder (`CONNECT_MAIL_DIR`).
pub struct DirMailSender {
    dir: PathBuf,
}

impl DirMailSender {
    /// A sender writing into `dir` (created when missing).
    pub fn new(dir: PathBuf) -> Self {
        DirMailSender { dir }
    }
}

/// Header values must not carry line breaks (header injection).
fn one_line(s: &str) -> String {
    s.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

/// The message as RFC 5322 text (UTF-8 body, 8bit).
pub fn to_eml(mail: &Mail, date: chrono::DateTime<chrono::Utc>) -> String {
    format!(
        "To: {}\r\nSubject: {}\r\nDate: {}\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n{}\r\n",
        one_line(&mail.to),
        one_line(&mail.subject),
        date.to_rfc2822(),
        mail.text.replace("\r\n", "\n").replace('\n', "\r\n")
    )
}

#[async_trait]
impl MailSender for DirMailSender {
    async fn send(&self, mail: &Mail) -> Result<(), MailError> {
        let now = chrono::Utc::now();
        tokio::fs::create_dir_all(&self.dir)
            .await
            .map_err(|e| MailError::Write(e.to_string()))?;
        let name = format!("{}-{}.eml", now.timestamp_millis(), uuid::Uuid::now_v7());
        // Write under a temporary name and rename, so a pickup never reads half a message.
        let tmp = self.dir.join(format!(".{name}.tmp"));
        tokio::fs::write(&tmp, to_eml(mail, now))
            .await
            .map_err(|e| MailError::Write(e.to_string()))?;
        tokio::fs::rename(&tmp, self.dir.join(name))
            .await
            .map_err(|e| MailError::Write(e.to_string()))
    }
}

/// Writes the message to the log at INFO with target `mail` (demo only: links in it are secrets).
pub struct LogMailSender;

#[async_trait]
impl MailSender for LogMailSender {
    async fn send(&self, mail: &Mail) -> Result<(), MailError> {
        tracing::info!(target: "mail", to = %mail.to, subject = %mail.subject, "{}", mail.text);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[tokio::test]
    async fn the_directory_sender_writes_one_complete_message_file_per_mail() {
        let dir = tempfile::tempdir().unwrap();
        let sender = DirMailSender::new(dir.path().join("outbox"));
        let mail = Mail {
            to: "uk@example.org\r\nBcc: evil@example.org".into(),
            subject: "Приглашение".into(),
            text: "line 1\nline 2".into(),
        };
        sender.send(&mail).await.unwrap();
        sender.send(&mail).await.unwrap();
        let mut files: Vec<_> = std::fs::read_dir(dir.path().join("outbox"))
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        files.sort();
        assert_eq!(files.len(), 2);
        assert!(files.iter().all(|f| f.extension().unwrap() == "eml"));
        let text = std::fs::read_to_string(&files[0]).unwrap();
        assert!(
            text.starts_with("To: uk@example.org  Bcc: evil@example.org\r\n"),
            "{text}"
        );
        assert!(text.contains("\r\nSubject: Приглашение\r\n"));
        assert!(text.ends_with("\r\n\r\nline 1\r\nline 2\r\n"));
    }
}
