//! Server-side keys and the primitives built on them: keyed hashes of one-time codes, the HMAC
//! index of phone numbers, AES-256-GCM encryption of phone numbers at rest, and session tokens.
//!
//! Every key is derived from the one `CONNECT_SECRET_KEY` with HMAC-SHA256 over a fixed label, so
//! one secret serves several purposes without any two sharing a key.

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use ring::{
    aead::{AES_256_GCM, Aad, LessSafeKey, NONCE_LEN, Nonce, UnboundKey},
    digest, hmac,
    rand::{SecureRandom, SystemRandom},
};

/// A failure of a cryptographic step.
#[derive(Debug, thiserror::Error)]
pub enum CryptoError {
    /// The system random generator failed.
    #[error("random generator failed")]
    Random,
    /// A ciphertext did not decrypt (wrong key or tampered).
    #[error("ciphertext did not decrypt")]
    Decrypt,
    /// Encryption failed.
    #[error("encryption failed")]
    Encrypt,
}

/// Keys derived from the server secret.
pub struct Keys {
    otp: hmac::Key,
    phone_index: hmac::Key,
    phone_enc: LessSafeKey,
    voucher_seed: [u8; 32],
    sticker_root: [u8; 32],
    rng: SystemRandom,
}

impl std::fmt::Debug for Keys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Keys(<secret>)")
    }
}

fn derive(secret: &[u8], label: &str) -> [u8; 32] {
    let root = hmac::Key::new(hmac::HMAC_SHA256, secret);
    let tag = hmac::sign(&root, label.as_bytes());
    let mut out = [0u8; 32];
    out.copy_from_slice(tag.as_ref());
    out
}

impl Keys {
    /// Derives all keys from the secret.
    pub fn new(secret: &str) -> Self {
        let s = secret.as_bytes();
        let enc = derive(s, "connect/phone-encryption/v1");
        // AES-256 takes any 32-byte key; construction only fails on a wrong length.
        #[allow(clippy::expect_used)]
        let unbound = UnboundKey::new(&AES_256_GCM, &enc).expect("32-byte AES key");
        Keys {
            otp: hmac::Key::new(hmac::HMAC_SHA256, &derive(s, "connect/otp/v1")),
            phone_index: hmac::Key::new(hmac::HMAC_SHA256, &derive(s, "connect/phone-index/v1")),
            phone_enc: LessSafeKey::new(unbound),
            voucher_seed: derive(s, "connect/voucher-signing/v1"),
            sticker_root: derive(s, "connect/sticker-signing/v1"),
            rng: SystemRandom::new(),
        }
    }

    /// The Ed25519 key that signs vouchers, derived from the secret so every replica sharing the
    /// secret signs with the same key.
    pub fn voucher_signer(
        &self,
        key_id: connect_core::qr::KeyId,
    ) -> Result<connect_core::qr::TokenSigner, connect_core::qr::SigningError> {
        connect_core::qr::TokenSigner::from_seed(key_id, &self.voucher_seed)
    }

    /// The Ed25519 key that signs building stickers under `key_id`. Each key id derives its own
    /// key from the secret, so rotating to a new id needs no new secret, and every replica
    /// sharing the secret signs alike.
    pub fn sticker_signer(
        &self,
        key_id: connect_core::qr::KeyId,
    ) -> Result<connect_core::qr::TokenSigner, connect_core::qr::SigningError> {
        let seed = derive(&self.sticker_root, &key_id.to_string());
        connect_core::qr::TokenSigner::from_seed(key_id, &seed)
    }

    /// HMAC(secret, phone ‖ code): the only form in which a code is stored.
    pub fn code_hash(&self, phone: &str, code: &str) -> Vec<u8> {
        let mut ctx = hmac::Context::with_key(&self.otp);
        ctx.update(phone.as_bytes());
        ctx.update(b"\0");
        ctx.update(code.as_bytes());
        ctx.sign().as_ref().to_vec()
    }

    /// The lookup index of a phone number (deterministic, keyed).
    pub fn phone_index(&self, phone: &str) -> Vec<u8> {
        hmac::sign(&self.phone_index, phone.as_bytes())
            .as_ref()
            .to_vec()
    }

    /// Encrypts a phone number: nonce ‖ ciphertext ‖ tag.
    pub fn encrypt_phone(&self, phone: &str) -> Result<Vec<u8>, CryptoError> {
        let mut nonce = [0u8; NONCE_LEN];
        self.rng.fill(&mut nonce).map_err(|_| CryptoError::Random)?;
        let mut buf = phone.as_bytes().to_vec();
        self.phone_enc
            .seal_in_place_append_tag(Nonce::assume_unique_for_key(nonce), Aad::empty(), &mut buf)
            .map_err(|_| CryptoError::Encrypt)?;
        let mut out = nonce.to_vec();
        out.extend_from_slice(&buf);
        Ok(out)
    }

    /// Decrypts what [`Keys::encrypt_phone`] produced.
    pub fn decrypt_phone(&self, sealed: &[u8]) -> Result<String, CryptoError> {
        if sealed.len() < NONCE_LEN {
            return Err(CryptoError::Decrypt);
        }
        let (n, ct) = sealed.split_at(NONCE_LEN);
        let nonce = Nonce::try_assume_unique_for_key(n).map_err(|_| CryptoError::Decrypt)?;
        let mut buf = ct.to_vec();
        let plain = self
            .phone_enc
            .open_in_place(nonce, Aad::empty(), &mut buf)
            .map_err(|_| CryptoError::Decrypt)?;
        String::from_utf8(plain.to_vec()).map_err(|_| CryptoError::Decrypt)
    }

    /// A uniformly random six-digit code.
    pub fn new_code(&self) -> Result<String, CryptoError> {
        loop {
            let mut b = [0u8; 4];
            self.rng.fill(&mut b).map_err(|_| CryptoError::Random)?;
            let n = u32::from_le_bytes(b);
            // Rejection sampling keeps every code equally likely.
            if n < u32::MAX - (u32::MAX % 1_000_000) {
                return Ok(format!("{:06}", n % 1_000_000));
            }
        }
    }

    /// A new session token (256 random bits, base64url) and its stored hash.
    pub fn new_token(&self) -> Result<(String, Vec<u8>), CryptoError> {
        let mut b = [0u8; 32];
        self.rng.fill(&mut b).map_err(|_| CryptoError::Random)?;
        let token = URL_SAFE_NO_PAD.encode(b);
        let hash = token_hash(&token);
        Ok((token, hash))
    }
}

/// SHA-256 of a session token: what the store keeps.
pub fn token_hash(token: &str) -> Vec<u8> {
    digest::digest(&digest::SHA256, token.as_bytes())
        .as_ref()
        .to_vec()
}

/// A fresh random secret for the demo (64 hex characters).
pub fn random_secret() -> Result<String, CryptoError> {
    let mut b = [0u8; 32];
    SystemRandom::new()
        .fill(&mut b)
        .map_err(|_| CryptoError::Random)?;
    Ok(hex::encode(b))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phone_encryption_round_trips_and_never_repeats_ciphertext() {
        let k = Keys::new("0123456789abcdef0123456789abcdef");
        let a = k.encrypt_phone("+79001234567").expect("enc");
        let b = k.encrypt_phone("+79001234567").expect("enc");
        assert_ne!(a, b);
        assert_eq!(k.decrypt_phone(&a).expect("dec"), "+79001234567");
        let other = Keys::new("ffffffffffffffffffffffffffffffff");
        assert!(other.decrypt_phone(&a).is_err());
    }

    #[test]
    fn sticker_keys_differ_per_key_id_and_secret_and_repeat_for_the_same_pair() {
        use connect_core::qr::KeyId;
        let k = Keys::new("0123456789abcdef0123456789abcdef");
        let a = k.sticker_signer(KeyId(1)).expect("key").public_key();
        assert_eq!(k.sticker_signer(KeyId(1)).expect("key").public_key(), a);
        assert_ne!(k.sticker_signer(KeyId(2)).expect("key").public_key(), a);
        assert_ne!(k.voucher_signer(KeyId(1)).expect("key").public_key(), a);
        let other = Keys::new("ffffffffffffffffffffffffffffffff");
        assert_ne!(other.sticker_signer(KeyId(1)).expect("key").public_key(), a);
    }

    #[test]
    fn codes_are_six_digits_and_hashes_depend_on_phone_and_secret() {
        let k = Keys::new("0123456789abcdef0123456789abcdef");
        let c = k.new_code().expect("code");
        assert_eq!(c.len(), 6);
        assert!(c.chars().all(|d| d.is_ascii_digit()));
        assert_ne!(
            k.code_hash("+79001", "123456"),
            k.code_hash("+79002", "123456")
        );
        let other = Keys::new("ffffffffffffffffffffffffffffffff");
        assert_ne!(
            k.code_hash("+79001", "123456"),
            other.code_hash("+79001", "123456")
        );
    }
}
