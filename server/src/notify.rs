//! Telling the resident what happened to their report. Every status change and every answer is
//! an event in the report's history (the store appends it in the same transaction), which the
//! phone pulls through `/v1/sync`; closures (resolved, rejected) are also texted through the
//! [`SmsSender`](crate::auth::sms::SmsSender), so a resident without the app hears of them.

use connect_core::{api::reports::ReportView, auth::PhoneNumber, reports::ReportStatus};

use crate::AppState;

/// Longest answer quoted in the SMS (characters).
const QUOTE_CHARS: usize = 160;

/// The SMS for a closed report, or `None` for a status that is not a closure.
pub fn closure_text(number: &str, status: ReportStatus, answer: Option<&str>) -> Option<String> {
    let what = match status {
        ReportStatus::Resolved => "resolved",
        ReportStatus::Rejected => "rejected",
        _ => return None,
    };
    let mut text = format!("CommunityConnect: your report {number} is {what}.");
    if let Some(a) = answer.map(str::trim).filter(|a| !a.is_empty()) {
        let quoted: String = a.chars().take(QUOTE_CHARS).collect();
        let more = if a.chars().count() > QUOTE_CHARS {
            "…"
        } else {
            ""
        };
        text.push_str(&format!(" Answer: {quoted}{more}"));
    }
    text.push_str(" Rate the result in the app.");
    Some(text)
}

/// Texts the author of a report that was just closed. Runs in the background: the status change
/// is already committed, and a slow or failing gateway must not hold up the staff member.
pub fn report_closed(state: &AppState, report: &ReportView, answer: Option<&str>) {
    let Some(text) = closure_text(&report.number, report.status, answer) else {
        return;
    };
    let state = state.clone();
    let id = report.id;
    tokio::spawn(async move {
        let author = match state.store.report(id).await {
            Ok(Some(r)) => r.author,
            Ok(None) => return,
            Err(error) => {
                tracing::warn!(%error, report = %id.0, "closure sms: loading the report failed");
                return;
            }
        };
        let sealed = match state.store.user_phone(author).await {
            Ok(Some(s)) => s,
            Ok(None) => return,
            Err(error) => {
                tracing::warn!(%error, report = %id.0, "closure sms: loading the phone failed");
                return;
            }
        };
        let phone = match state
            .keys
            .decrypt_phone(&sealed)
            .ok()
            .and_then(|p| PhoneNumber::parse(&p).ok())
        {
            Some(p) => p,
            None => {
                tracing::warn!(report = %id.0, "closure sms: the stored phone does not open");
                return;
            }
        };
        match state.sms.send(&phone, &text).await {
            Ok(()) => metrics::counter!("connect_report_closure_sms_total").increment(1),
            Err(error) => tracing::warn!(%error, report = %id.0, "closure sms not sent"),
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_closures_are_texted_and_long_answers_are_cut() {
        assert_eq!(
            closure_text("2026-000001", ReportStatus::Accepted, None),
            None
        );
        assert_eq!(
            closure_text("2026-000001", ReportStatus::Resolved, Some("  ")).as_deref(),
            Some(
                "CommunityConnect: your report 2026-000001 is resolved. Rate the result in the app."
            )
        );
        let long = "x".repeat(500);
        let text =
            closure_text("2026-000002", ReportStatus::Rejected, Some(&long)).unwrap_or_default();
        assert!(text.contains("is rejected. Answer: xxx"));
        assert!(text.contains("x… Rate"));
        assert!(text.chars().count() < 260, "{}", text.chars().count());
    }
}
