//! Encryption at rest of personal fields (account numbers, owner names, phone, session token).
//!
//! AES-256-GCM (ring) under the 32-byte key the shell hands in from the platform keystore. Each
//! value gets a random 96-bit nonce, and the field's name is the associated data, so a sealed
//! account number pasted into the holder-name column fails to open instead of decrypting.
//! Stored layout: `nonce (12) || ciphertext || tag (16)`.

use ring::{
    aead::{AES_256_GCM, Aad, LessSafeKey, NONCE_LEN, Nonce, UnboundKey},
    rand::{SecureRandom, SystemRandom},
};

/// Errors from sealing or opening a field.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CryptoError {
    /// The system random source failed (no nonce could be drawn).
    #[error("the system random source failed")]
    Random,
    /// The blob is too short, was altered, or was sealed under another key or for another field.
    #[error("a sealed field could not be opened (altered, or sealed under another key)")]
    Open,
}

/// Seals and opens personal fields under the database key.
pub struct FieldCipher {
    key: LessSafeKey,
    rng: SystemRandom,
}

impl FieldCipher {
    /// A cipher under a 32-byte key.
    pub fn new(key: &[u8; 32]) -> Self {
        let unbound = match UnboundKey::new(&AES_256_GCM, key) {
            Ok(k) => k,
            // AES-256 keys are exactly 32 bytes, which the type guarantees.
            Err(_) => unreachable!("a 32-byte key is a valid AES-256 key"),
        };
        FieldCipher {
            key: LessSafeKey::new(unbound),
            rng: SystemRandom::new(),
        }
    }

    /// Encrypts `plaintext` for the column named `field`.
    pub fn seal(&self, field: &str, plaintext: &[u8]) -> Result<Vec<u8>, CryptoError> {
        let mut nonce = [0u8; NONCE_LEN];
        self.rng.fill(&mut nonce).map_err(|_| CryptoError::Random)?;
        let mut in_out = plaintext.to_vec();
        self.key
            .seal_in_place_append_tag(
                Nonce::assume_unique_for_key(nonce),
                Aad::from(field.as_bytes()),
                &mut in_out,
            )
            .map_err(|_| CryptoError::Random)?;
        let mut out = Vec::with_capacity(NONCE_LEN + in_out.len());
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&in_out);
        Ok(out)
    }

    /// Decrypts a blob sealed for the column named `field`.
    pub fn open(&self, field: &str, sealed: &[u8]) -> Result<Vec<u8>, CryptoError> {
        if sealed.len() < NONCE_LEN + AES_256_GCM.tag_len() {
            return Err(CryptoError::Open);
        }
        let (nonce, body) = sealed.split_at(NONCE_LEN);
        let nonce = Nonce::try_assume_unique_for_key(nonce).map_err(|_| CryptoError::Open)?;
        let mut in_out = body.to_vec();
        let plain = self
            .key
            .open_in_place(nonce, Aad::from(field.as_bytes()), &mut in_out)
            .map_err(|_| CryptoError::Open)?;
        Ok(plain.to_vec())
    }

    /// Seals a UTF-8 string.
    pub fn seal_str(&self, field: &str, plaintext: &str) -> Result<Vec<u8>, CryptoError> {
        self.seal(field, plaintext.as_bytes())
    }

    /// Opens a sealed UTF-8 string.
    pub fn open_str(&self, field: &str, sealed: &[u8]) -> Result<String, CryptoError> {
        String::from_utf8(self.open(field, sealed)?).map_err(|_| CryptoError::Open)
    }
}

impl std::fmt::Debug for FieldCipher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("FieldCipher(<key>)")
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn a_sealed_field_opens_to_the_same_text_and_hides_it() {
        let c = FieldCipher::new(&[7; 32]);
        let sealed = c
            .seal_str("account_number", "40817810099910004312")
            .unwrap();
        assert!(!sealed.windows(8).any(|w| w == b"40817810"));
        assert_eq!(
            c.open_str("account_number", &sealed).unwrap(),
            "40817810099910004312"
        );
    }

    #[test]
    fn the_same_value_seals_differently_each_time() {
        let c = FieldCipher::new(&[7; 32]);
        assert_ne!(c.seal_str("f", "x").unwrap(), c.seal_str("f", "x").unwrap());
    }

    #[test]
    fn another_key_another_field_or_a_flipped_bit_fails_to_open() {
        let c = FieldCipher::new(&[7; 32]);
        let sealed = c.seal_str("holder_name", "Ivanova").unwrap();
        assert_eq!(
            FieldCipher::new(&[8; 32]).open("holder_name", &sealed),
            Err(CryptoError::Open)
        );
        assert_eq!(c.open("account_number", &sealed), Err(CryptoError::Open));
        let mut altered = sealed.clone();
        altered[NONCE_LEN] ^= 1;
        assert_eq!(c.open("holder_name", &altered), Err(CryptoError::Open));
        assert_eq!(c.open("holder_name", &sealed[..10]), Err(CryptoError::Open));
    }
}
