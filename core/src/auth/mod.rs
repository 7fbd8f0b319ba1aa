//! Roles and login facts shared by the app and the server.

use serde::{Deserialize, Serialize};

/// What a user may do. A user can hold several roles (a resident who is also company staff).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Lives in a building; submits readings and reports for their own apartments.
    Resident,
    /// Works for one managing company (web cabinet).
    CompanyStaff,
    /// Cashier of one partner shop (redeems vouchers).
    PartnerCashier,
    /// Regulator of one region (dashboards).
    Authority,
    /// Operates the whole installation.
    Admin,
}

impl Role {
    /// The stable wire/database spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Resident => "resident",
            Role::CompanyStaff => "company_staff",
            Role::PartnerCashier => "partner_cashier",
            Role::Authority => "authority",
            Role::Admin => "admin",
        }
    }

    /// Parses the wire/database spelling.
    pub fn parse(s: &str) -> Option<Self> {
        [
            Role::Resident,
            Role::CompanyStaff,
            Role::PartnerCashier,
            Role::Authority,
            Role::Admin,
        ]
        .into_iter()
        .find(|r| r.as_str() == s)
    }
}

/// Errors in a phone number as typed by a user.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PhoneError {
    /// Not an international number of 10 to 15 digits.
    #[error("enter the phone number with its country code, e.g. +7 900 000-00-00")]
    Malformed,
}

/// A phone number in E.164 form (`+79000000000`). Personal data: never logged.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct PhoneNumber(String);

impl PhoneNumber {
    /// Normalises what a user typed: spaces, dashes, dots and parentheses are dropped; a leading
    /// `8` followed by ten digits is read as the Russian trunk prefix (`+7`).
    pub fn parse(input: &str) -> Result<Self, PhoneError> {
        let trimmed = input.trim();
        let plus = trimmed.starts_with('+');
        let mut digits = String::with_capacity(16);
        for (i, c) in trimmed.chars().enumerate() {
            match c {
                '0'..='9' => digits.push(c),
                '+' if i == 0 => {}
                ' ' | '-' | '(' | ')' | '.' => {}
                _ => return Err(PhoneError::Malformed),
            }
        }
        if !plus && digits.len() == 11 && digits.starts_with('8') {
            digits.replace_range(0..1, "7");
        }
        if !(10..=15).contains(&digits.len()) || digits.starts_with('0') {
            return Err(PhoneError::Malformed);
        }
        Ok(PhoneNumber(format!("+{digits}")))
    }

    /// The E.164 spelling.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for PhoneNumber {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never print the number itself: debug output ends up in logs.
        f.write_str("PhoneNumber(<redacted>)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phone_numbers_are_normalised_to_e164() {
        assert_eq!(
            PhoneNumber::parse("+7 (900) 123-45-67").map(|p| p.0),
            Ok("+79001234567".into())
        );
        assert_eq!(
            PhoneNumber::parse("89001234567").map(|p| p.0),
            Ok("+79001234567".into())
        );
        assert_eq!(
            PhoneNumber::parse("+44 20 7946 0958").map(|p| p.0),
            Ok("+442079460958".into())
        );
    }

    #[test]
    fn malformed_phone_numbers_are_refused() {
        for bad in [
            "",
            "+",
            "12345",
            "+7 900 abc",
            "+0123456789",
            "+1234567890123456",
        ] {
            assert_eq!(PhoneNumber::parse(bad), Err(PhoneError::Malformed), "{bad}");
        }
    }

    #[test]
    fn debug_output_never_shows_the_number() {
        let p = PhoneNumber::parse("+79001234567").expect("valid");
        assert!(!format!("{p:?}").contains("900"));
    }
}
