//! The signed-token envelope shared by building stickers (and, later, vouchers): a compact binary
//! frame `version | key id | payload | Ed25519 signature` over all preceding bytes, carried as
//! base64url without padding so it fits a short QR code and a URL path segment.
//!
//! Verification is offline against a [`TrustList`] of several key ids, so keys can rotate: a
//! retired key's tokens stop verifying as soon as it leaves the list.

use std::collections::BTreeMap;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ring::signature::{self, Ed25519KeyPair, KeyPair as _};

use super::error::SigningError;

/// Length of an Ed25519 signature in bytes.
pub const SIGNATURE_LEN: usize = 64;
/// Length of a key id in bytes.
pub const KEY_ID_LEN: usize = 2;
/// Bytes before the payload: version byte and key id.
pub const HEADER_LEN: usize = 1 + KEY_ID_LEN;

/// Which signing key produced a token (two bytes, printed as 4 hex digits).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct KeyId(pub u16);

impl std::fmt::Display for KeyId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:04x}", self.0)
    }
}

impl std::str::FromStr for KeyId {
    type Err = SigningError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if s.len() != 4 {
            return Err(SigningError::KeyIdSyntax(s.to_owned()));
        }
        u16::from_str_radix(s, 16)
            .map(KeyId)
            .map_err(|_| SigningError::KeyIdSyntax(s.to_owned()))
    }
}

/// The public keys an app or partner trusts, by key id.
#[derive(Debug, Clone, Default)]
pub struct TrustList {
    keys: BTreeMap<KeyId, [u8; 32]>,
}

impl TrustList {
    /// An empty list (trusts nothing).
    pub fn new() -> Self {
        Self::default()
    }

    /// Trusts `public_key` (32 raw Ed25519 bytes) for tokens signed under `key_id`.
    pub fn insert(&mut self, key_id: KeyId, public_key: [u8; 32]) {
        self.keys.insert(key_id, public_key);
    }

    /// Stops trusting a key (rotation: its tokens no longer verify).
    pub fn remove(&mut self, key_id: KeyId) -> bool {
        self.keys.remove(&key_id).is_some()
    }

    /// The public key for `key_id`, if trusted.
    pub fn get(&self, key_id: KeyId) -> Option<&[u8; 32]> {
        self.keys.get(&key_id)
    }

    /// Parses one `KEYID:BASE64PUBKEY` entry (hex key id, base64 or base64url public key) and adds it.
    pub fn add_entry(&mut self, entry: &str) -> Result<KeyId, SigningError> {
        let (id, key) = entry
            .trim()
            .split_once(':')
            .ok_or_else(|| SigningError::TrustEntrySyntax(entry.to_owned()))?;
        let key_id: KeyId = id.parse()?;
        let key = key.trim().trim_end_matches('=');
        let bytes = URL_SAFE_NO_PAD
            .decode(key)
            .or_else(|_| base64::engine::general_purpose::STANDARD_NO_PAD.decode(key))
            .map_err(|_| SigningError::TrustEntrySyntax(entry.to_owned()))?;
        let public: [u8; 32] = bytes
            .try_into()
            .map_err(|_| SigningError::TrustEntrySyntax(entry.to_owned()))?;
        self.insert(key_id, public);
        Ok(key_id)
    }

    /// Number of trusted keys.
    pub fn len(&self) -> usize {
        self.keys.len()
    }

    /// True when no key is trusted.
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }
}

/// A private Ed25519 key with its key id, used by the server to sign tokens.
pub struct TokenSigner {
    key_id: KeyId,
    pair: Ed25519KeyPair,
}

impl std::fmt::Debug for TokenSigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never print key material.
        f.debug_struct("TokenSigner")
            .field("key_id", &self.key_id)
            .finish_non_exhaustive()
    }
}

impl TokenSigner {
    /// Loads a key from a PKCS#8 v1/v2 document (as produced by [`TokenSigner::generate_pkcs8`]).
    pub fn from_pkcs8(key_id: KeyId, pkcs8: &[u8]) -> Result<Self, SigningError> {
        let pair = Ed25519KeyPair::from_pkcs8_maybe_unchecked(pkcs8)
            .map_err(|_| SigningError::PrivateKeyRejected)?;
        Ok(Self { key_id, pair })
    }

    /// Loads a key from its 32-byte seed.
    pub fn from_seed(key_id: KeyId, seed: &[u8]) -> Result<Self, SigningError> {
        let pair = Ed25519KeyPair::from_seed_unchecked(seed)
            .map_err(|_| SigningError::PrivateKeyRejected)?;
        Ok(Self { key_id, pair })
    }

    /// A fresh PKCS#8 document for a new signing key.
    pub fn generate_pkcs8() -> Result<Vec<u8>, SigningError> {
        let rng = ring::rand::SystemRandom::new();
        Ed25519KeyPair::generate_pkcs8(&rng)
            .map(|doc| doc.as_ref().to_vec())
            .map_err(|_| SigningError::RandomUnavailable)
    }

    /// The key id written into every token.
    pub fn key_id(&self) -> KeyId {
        self.key_id
    }

    /// The 32-byte public key to publish in trust lists.
    pub fn public_key(&self) -> [u8; 32] {
        let mut out = [0u8; 32];
        out.copy_from_slice(self.pair.public_key().as_ref());
        out
    }

    /// The `KEYID:BASE64URLPUBKEY` trust entry for this key.
    pub fn trust_entry(&self) -> String {
        format!(
            "{}:{}",
            self.key_id,
            URL_SAFE_NO_PAD.encode(self.public_key())
        )
    }

    /// Frames and signs `payload` under `version`, returning the base64url token.
    pub fn sign(&self, version: u8, payload: &[u8]) -> String {
        let mut bytes = Vec::with_capacity(HEADER_LEN + payload.len() + SIGNATURE_LEN);
        bytes.push(version);
        bytes.extend_from_slice(&self.key_id.0.to_be_bytes());
        bytes.extend_from_slice(payload);
        let sig = self.pair.sign(&bytes);
        bytes.extend_from_slice(sig.as_ref());
        URL_SAFE_NO_PAD.encode(bytes)
    }
}

/// A token whose envelope parsed and whose signature verified.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedToken {
    /// Format version byte.
    pub version: u8,
    /// Key that signed it.
    pub key_id: KeyId,
    /// The signed payload (format-specific fields).
    pub payload: Vec<u8>,
}

/// Why an envelope was refused, before any format-specific parsing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EnvelopeRefusal {
    /// Longer than the caller's cap (checked before decoding anything).
    Oversized,
    /// Not base64url without padding.
    NotBase64,
    /// Too short to hold header and signature.
    Truncated,
    /// Version byte other than the expected one.
    WrongVersion(u8),
    /// Key id not in the trust list.
    UnknownKey(KeyId),
    /// Signature does not match.
    BadSignature,
}

/// Opens and verifies a token: cap, decode, version, key, signature, in that order.
pub fn open_token(
    token: &str,
    expected_version: u8,
    max_token_len: usize,
    trust: &TrustList,
) -> Result<VerifiedToken, EnvelopeRefusal> {
    if token.len() > max_token_len {
        return Err(EnvelopeRefusal::Oversized);
    }
    let bytes = URL_SAFE_NO_PAD
        .decode(token)
        .map_err(|_| EnvelopeRefusal::NotBase64)?;
    // Canonical encoding only: trailing bits that decode the same would let one token have many spellings.
    if URL_SAFE_NO_PAD.encode(&bytes) != token {
        return Err(EnvelopeRefusal::NotBase64);
    }
    if bytes.len() < HEADER_LEN + SIGNATURE_LEN {
        return Err(EnvelopeRefusal::Truncated);
    }
    let version = bytes[0];
    if version != expected_version {
        return Err(EnvelopeRefusal::WrongVersion(version));
    }
    let key_id = KeyId(u16::from_be_bytes([bytes[1], bytes[2]]));
    let public = trust
        .get(key_id)
        .ok_or(EnvelopeRefusal::UnknownKey(key_id))?;
    let split = bytes.len() - SIGNATURE_LEN;
    let (signed, sig) = bytes.split_at(split);
    signature::UnparsedPublicKey::new(&signature::ED25519, public)
        .verify(signed, sig)
        .map_err(|_| EnvelopeRefusal::BadSignature)?;
    Ok(VerifiedToken {
        version,
        key_id,
        payload: signed[HEADER_LEN..].to_vec(),
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use rand::{Rng, SeedableRng, rngs::StdRng};

    use super::*;
    use crate::qr::account_code::AccountCode;
    use crate::qr::sticker::{StickerSigner, StickerTrust, verify_sticker};

    #[test]
    fn key_ids_print_and_parse_as_four_hex_digits() {
        assert_eq!(KeyId(0x0a0b).to_string(), "0a0b");
        assert_eq!("0a0b".parse::<KeyId>().unwrap(), KeyId(0x0a0b));
        assert!("a0b".parse::<KeyId>().is_err());
        assert!("zzzz".parse::<KeyId>().is_err());
    }

    #[test]
    fn trust_entries_need_a_32_byte_key() {
        let mut t = TrustList::new();
        assert!(t.add_entry("0001").is_err());
        assert!(t.add_entry("0001:AAAA").is_err());
        assert!(t.add_entry("0001:!!!").is_err());
        assert!(t.is_empty());
    }

    /// Bounded stand-in for the `sticker_token` libFuzzer target: 20k random and mutated tokens,
    /// none panics and none verifies except the untouched genuine one.
    #[test]
    fn twenty_thousand_random_and_mutated_tokens_never_panic_or_verify() {
        let signer = StickerSigner::new(
            TokenSigner::from_seed(KeyId(1), &[3; 32]).unwrap(),
            "h.example",
        );
        let mut keys = TrustList::new();
        keys.insert(KeyId(1), signer.signer().public_key());
        let trust = StickerTrust {
            host: "h.example".into(),
            keys,
        };
        let genuine = signer
            .url(
                &crate::ids::BuildingId("VLG-1".into()),
                chrono::NaiveDate::from_ymd_opt(2026, 1, 2).unwrap(),
            )
            .unwrap();
        assert!(verify_sticker(&genuine, &trust).is_ok());
        let mut rng = StdRng::seed_from_u64(42);
        let alphabet: Vec<char> =
            "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_=/?#:.+ é"
                .chars()
                .collect();
        for i in 0..20_000 {
            let candidate: String = if i % 2 == 0 {
                let mut chars: Vec<char> = genuine.chars().collect();
                for _ in 0..rng.random_range(1..4) {
                    let k = rng.random_range(0..chars.len());
                    match rng.random_range(0..3) {
                        0 => chars[k] = alphabet[rng.random_range(0..alphabet.len())],
                        1 => {
                            chars.remove(k);
                        }
                        _ => chars.insert(k, alphabet[rng.random_range(0..alphabet.len())]),
                    }
                }
                chars.into_iter().collect()
            } else {
                let len = rng.random_range(0..300);
                let tail: String = (0..len)
                    .map(|_| alphabet[rng.random_range(0..alphabet.len())])
                    .collect();
                if i % 4 == 1 {
                    format!("https://h.example/p/{tail}")
                } else {
                    tail
                }
            };
            if candidate == genuine {
                continue;
            }
            let verified = verify_sticker(&candidate, &trust);
            // Only whitespace or case changes of the scheme/host could keep a mutated URL genuine.
            if verified.is_ok() {
                assert!(
                    candidate.trim().eq_ignore_ascii_case(&genuine),
                    "{candidate}"
                );
            }
            let _ = AccountCode::parse(&candidate);
        }
    }
}
