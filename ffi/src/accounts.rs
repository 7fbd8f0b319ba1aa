//! Personal accounts: claiming one with the code printed on the bill.
//!
//! Errors arrive as [`ConnectError`]: a malformed code (typo, a building sticker) and a code the
//! server does not accept are `Rejected` with code `invalid_account_code`, a code used before is
//! `Rejected` with `already_claimed`, no connection is `Network`, no session `NeedsLogin`.

use connect_core::app::ClaimedAccount;

use crate::{app::ConnectApp, error::ConnectError};

#[uniffi::export]
impl ConnectApp {
    /// Claims the personal account of a bill's code, once; its meters are then on this device.
    pub fn claim_account(&self, code_text: String) -> Result<ClaimedAccount, ConnectError> {
        Ok(self.core().claim_account(&code_text)?)
    }
}
