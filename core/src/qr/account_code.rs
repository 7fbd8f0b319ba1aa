//! Account codes printed on the bill: the personal account id plus a random claim secret, which the
//! server checks once to link the resident to that account. Not a URL and not a public sticker.
//!
//! Text form: `CC1-` then Crockford base32 (grouped by 4 with `-`) of
//! `account uuid (16) | claim secret (16) | checksum (4)`, where the checksum is the first 4 bytes of
//! SHA-256 over the prefix and the 32 data bytes, so a mistyped code is caught offline. Parsing accepts
//! lower case, spaces and the look-alikes `O`→0, `I`/`L`→1.

use std::fmt;

use ring::digest;
use uuid::Uuid;

use super::error::AccountCodeError;
use crate::ids::AccountId;

/// Prefix of every version-1 account code.
pub const ACCOUNT_CODE_PREFIX: &str = "CC1-";
/// Claim secret length in bytes (128 bits).
pub const CLAIM_SECRET_LEN: usize = 16;
const CHECKSUM_LEN: usize = 4;
const RAW_LEN: usize = 16 + CLAIM_SECRET_LEN + CHECKSUM_LEN;
/// Longest input `parse` looks at (grouping and spaces included).
pub const MAX_ACCOUNT_CODE_LEN: usize = 128;
const ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/// An account id with its one-time claim secret.
#[derive(Clone, PartialEq, Eq)]
pub struct AccountCode {
    /// The personal account this code claims.
    pub account_id: AccountId,
    secret: [u8; CLAIM_SECRET_LEN],
}

impl fmt::Debug for AccountCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The secret is a credential: never in logs.
        f.debug_struct("AccountCode")
            .field("account_id", &self.account_id)
            .finish_non_exhaustive()
    }
}

fn checksum(data: &[u8]) -> [u8; CHECKSUM_LEN] {
    let mut ctx = digest::Context::new(&digest::SHA256);
    ctx.update(ACCOUNT_CODE_PREFIX.as_bytes());
    ctx.update(data);
    let d = ctx.finish();
    let mut out = [0u8; CHECKSUM_LEN];
    out.copy_from_slice(&d.as_ref()[..CHECKSUM_LEN]);
    out
}

impl AccountCode {
    /// A new code with a fresh random secret for `account_id`.
    pub fn generate(account_id: AccountId) -> Result<Self, AccountCodeError> {
        let mut secret = [0u8; CLAIM_SECRET_LEN];
        ring::rand::SecureRandom::fill(&ring::rand::SystemRandom::new(), &mut secret)
            .map_err(|_| AccountCodeError::RandomUnavailable)?;
        Ok(Self { account_id, secret })
    }

    /// Rebuilds a code from its parts (server side, e.g. when re-printing a bill).
    pub fn from_parts(account_id: AccountId, secret: [u8; CLAIM_SECRET_LEN]) -> Self {
        Self { account_id, secret }
    }

    /// The claim secret (send it to the server; never log it).
    pub fn secret(&self) -> &[u8; CLAIM_SECRET_LEN] {
        &self.secret
    }

    /// SHA-256 of the claim secret: what the server stores instead of the secret.
    pub fn secret_hash(&self) -> [u8; 32] {
        hash_secret(&self.secret)
    }

    /// Parses a typed or scanned code.
    pub fn parse(text: &str) -> Result<Self, AccountCodeError> {
        if text.len() > MAX_ACCOUNT_CODE_LEN {
            return Err(AccountCodeError::TooLong);
        }
        let text = text.trim();
        let body = text
            .get(..ACCOUNT_CODE_PREFIX.len())
            .filter(|p| p.eq_ignore_ascii_case(ACCOUNT_CODE_PREFIX))
            .map(|_| &text[ACCOUNT_CODE_PREFIX.len()..])
            .ok_or(AccountCodeError::NotAccountCode)?;
        let mut bits: u64 = 0;
        let mut nbits = 0u32;
        let mut raw = Vec::with_capacity(RAW_LEN + 1);
        let mut symbols = 0usize;
        for c in body.chars() {
            if c == '-' || c == ' ' {
                continue;
            }
            let v = symbol_value(c).ok_or(AccountCodeError::BadCharacter(c))?;
            symbols += 1;
            bits = (bits << 5) | u64::from(v);
            nbits += 5;
            if nbits >= 8 {
                nbits -= 8;
                raw.push((bits >> nbits) as u8);
                bits &= (1 << nbits) - 1;
            }
        }
        if symbols != encoded_len() || raw.len() != RAW_LEN || bits != 0 {
            return Err(AccountCodeError::WrongLength);
        }
        let (data, sum) = raw.split_at(RAW_LEN - CHECKSUM_LEN);
        if checksum(data) != sum {
            return Err(AccountCodeError::ChecksumMismatch);
        }
        let mut id = [0u8; 16];
        id.copy_from_slice(&data[..16]);
        let mut secret = [0u8; CLAIM_SECRET_LEN];
        secret.copy_from_slice(&data[16..]);
        Ok(Self {
            account_id: AccountId(Uuid::from_bytes(id)),
            secret,
        })
    }
}

fn encoded_len() -> usize {
    (RAW_LEN * 8).div_ceil(5)
}

fn symbol_value(c: char) -> Option<u8> {
    let c = match c.to_ascii_uppercase() {
        'O' => '0',
        'I' | 'L' => '1',
        c => c,
    };
    ALPHABET
        .iter()
        .position(|&a| char::from(a) == c)
        .map(|p| p as u8)
}

impl fmt::Display for AccountCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut raw = Vec::with_capacity(RAW_LEN);
        raw.extend_from_slice(self.account_id.0.as_bytes());
        raw.extend_from_slice(&self.secret);
        let sum = checksum(&raw);
        raw.extend_from_slice(&sum);
        let mut out = String::with_capacity(ACCOUNT_CODE_PREFIX.len() + encoded_len() * 5 / 4);
        out.push_str(ACCOUNT_CODE_PREFIX);
        let mut bits: u64 = 0;
        let mut nbits = 0u32;
        let mut n = 0usize;
        let mut push = |v: u64, out: &mut String| {
            if n > 0 && n.is_multiple_of(4) {
                out.push('-');
            }
            out.push(char::from(ALPHABET[(v & 31) as usize]));
            n += 1;
        };
        for b in raw {
            bits = (bits << 8) | u64::from(b);
            nbits += 8;
            while nbits >= 5 {
                nbits -= 5;
                push(bits >> nbits, &mut out);
                bits &= (1 << nbits) - 1;
            }
        }
        if nbits > 0 {
            push(bits << (5 - nbits), &mut out);
        }
        f.write_str(&out)
    }
}

/// SHA-256 of a claim secret.
pub fn hash_secret(secret: &[u8]) -> [u8; 32] {
    let mut out = [0u8; 32];
    out.copy_from_slice(digest::digest(&digest::SHA256, secret).as_ref());
    out
}

/// Compares two secret hashes in time independent of where they differ.
pub fn secret_hashes_match(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let diff = a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y));
    std::hint::black_box(diff) == 0
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn code() -> AccountCode {
        AccountCode::from_parts(
            AccountId(Uuid::from_u128(0x0192_3456_789a_7bcd_8ef0_1234_5678_9abc)),
            [0x5a; CLAIM_SECRET_LEN],
        )
    }

    #[test]
    fn a_printed_code_parses_back_to_the_same_account_and_secret() {
        let c = AccountCode::generate(AccountId(Uuid::new_v4())).unwrap();
        let text = c.to_string();
        assert!(text.starts_with("CC1-"));
        assert_eq!(AccountCode::parse(&text).unwrap(), c);
    }

    #[test]
    fn two_generated_codes_have_different_secrets() {
        let id = AccountId(Uuid::new_v4());
        let a = AccountCode::generate(id).unwrap();
        let b = AccountCode::generate(id).unwrap();
        assert_ne!(a.secret(), b.secret());
    }

    #[test]
    fn lower_case_spaces_and_look_alike_letters_are_accepted() {
        let c = code();
        let text = c.to_string();
        let typed = text
            .to_lowercase()
            .replace('-', " ")
            .replacen("cc1 ", "cc1-", 1);
        assert_eq!(AccountCode::parse(&typed).unwrap(), c);
        let with_o = text.replace('0', "O");
        assert_eq!(AccountCode::parse(&with_o).unwrap(), c);
    }

    #[test]
    fn any_single_changed_character_is_caught_offline() {
        let text = code().to_string();
        for (i, ch) in text.char_indices().skip(ACCOUNT_CODE_PREFIX.len()) {
            if ch == '-' {
                continue;
            }
            for &rep in ALPHABET {
                let rep = char::from(rep);
                if rep == ch {
                    continue;
                }
                let mut typo = text.clone();
                typo.replace_range(i..i + 1, &rep.to_string());
                assert!(AccountCode::parse(&typo).is_err(), "{typo}");
            }
        }
    }

    #[test]
    fn swapped_neighbours_are_caught() {
        let text: Vec<char> = code().to_string().chars().collect();
        for i in ACCOUNT_CODE_PREFIX.len()..text.len() - 1 {
            if text[i] == text[i + 1] || text[i] == '-' || text[i + 1] == '-' {
                continue;
            }
            let mut t = text.clone();
            t.swap(i, i + 1);
            let s: String = t.into_iter().collect();
            assert!(AccountCode::parse(&s).is_err(), "{s}");
        }
    }

    #[test]
    fn wrong_prefix_length_and_characters_have_their_own_errors() {
        let text = code().to_string();
        assert_eq!(
            AccountCode::parse("https://x/p/abc"),
            Err(AccountCodeError::NotAccountCode)
        );
        assert_eq!(
            AccountCode::parse(&text[..text.len() - 1]),
            Err(AccountCodeError::WrongLength)
        );
        assert_eq!(
            AccountCode::parse(&format!("{text}7")),
            Err(AccountCodeError::WrongLength)
        );
        assert_eq!(
            AccountCode::parse(&format!("{text}U")),
            Err(AccountCodeError::BadCharacter('U'))
        );
        assert_eq!(
            AccountCode::parse(&"CC1-0".repeat(40)),
            Err(AccountCodeError::TooLong)
        );
        assert_eq!(
            AccountCode::parse(""),
            Err(AccountCodeError::NotAccountCode)
        );
    }

    #[test]
    fn secret_hashes_match_only_for_the_same_secret() {
        let c = code();
        let stored = c.secret_hash();
        assert!(secret_hashes_match(&stored, &hash_secret(c.secret())));
        assert!(!secret_hashes_match(
            &stored,
            &hash_secret(&[0x5b; CLAIM_SECRET_LEN])
        ));
        assert!(!secret_hashes_match(&stored, &stored[..31]));
    }

    #[test]
    fn debug_output_never_shows_the_secret() {
        let c = code();
        let dbg = format!("{c:?}");
        assert!(dbg.contains("AccountCode"));
        assert!(
            !dbg.contains("90, 90") && !dbg.to_lowercase().contains("5a5a"),
            "{dbg}"
        );
    }
}
