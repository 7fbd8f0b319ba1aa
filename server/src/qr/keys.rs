//! The sticker signing keys: the current key signs, retired keys stay in the trust list until the
//! operator removes them from `CONNECT_STICKER_RETIRED_KEYS`. Every key is derived from the server
//! secret and its key id ([`Keys::sticker_signer`]), so replicas sharing the secret agree; a key of
//! an earlier secret can still be listed by its public key.

use base64::{Engine as _, engine::general_purpose::URL_SAFE_NO_PAD};
use chrono::NaiveDate;
use connect_core::{
    api::qr::TrustedKey,
    ids::BuildingId,
    qr::{KeyId, SigningError, StickerError, StickerSigner, TrustList},
};

use crate::{crypto::Keys, points::VoucherKeys};

/// A retired sticker key whose stickers are still genuine.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RetiredKey {
    /// Derived from the current secret under this id.
    Derived(KeyId),
    /// A public key (e.g. of a key derived from an earlier secret).
    Public(KeyId, [u8; 32]),
}

impl RetiredKey {
    /// Parses `KEYID` or `KEYID:BASE64PUBKEY`.
    pub fn parse(entry: &str) -> Result<Self, SigningError> {
        let entry = entry.trim();
        if entry.contains(':') {
            let mut one = TrustList::new();
            let id = one.add_entry(entry)?;
            let key = one
                .get(id)
                .copied()
                .ok_or_else(|| SigningError::TrustEntrySyntax(entry.to_owned()))?;
            Ok(RetiredKey::Public(id, key))
        } else {
            Ok(RetiredKey::Derived(entry.parse()?))
        }
    }
}

/// Sticker key settings (from [`crate::config::Config`]).
#[derive(Debug, Clone)]
pub struct StickerSettings {
    /// `host[:port]` sticker URLs point to.
    pub public_host: String,
    /// The key that signs new stickers.
    pub key_id: KeyId,
    /// Keys whose stickers are still accepted.
    pub retired: Vec<RetiredKey>,
}

impl Default for StickerSettings {
    fn default() -> Self {
        StickerSettings {
            public_host: "localhost:8080".into(),
            key_id: KeyId(1),
            retired: Vec::new(),
        }
    }
}

impl StickerSettings {
    /// From the configured key id and retired entries; `public_host` is filled in by the caller.
    pub fn parse(
        public_host: String,
        key_id: &str,
        retired: &[String],
    ) -> Result<Self, SigningError> {
        Ok(StickerSettings {
            public_host,
            key_id: key_id.trim().parse()?,
            retired: retired
                .iter()
                .filter(|e| !e.trim().is_empty())
                .map(|e| RetiredKey::parse(e))
                .collect::<Result<_, _>>()?,
        })
    }
}

/// The current sticker signer and the trust list (current + retired keys).
pub struct StickerKeys {
    signer: Option<StickerSigner>,
    host: String,
    trust: TrustList,
    listed: Vec<(KeyId, [u8; 32], bool)>,
}

impl std::fmt::Debug for StickerKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("StickerKeys(<secret>)")
    }
}

impl StickerKeys {
    /// Derives the keys the settings name from the server secret.
    pub fn new(keys: &Keys, settings: &StickerSettings) -> Self {
        let mut trust = TrustList::new();
        let mut listed = Vec::new();
        let signer = match keys.sticker_signer(settings.key_id) {
            Ok(s) => {
                trust.insert(s.key_id(), s.public_key());
                listed.push((s.key_id(), s.public_key(), true));
                Some(StickerSigner::new(s, settings.public_host.clone()))
            }
            Err(error) => {
                tracing::error!(%error, "sticker signing key could not be derived; no stickers");
                None
            }
        };
        for retired in &settings.retired {
            let (id, public) = match retired {
                RetiredKey::Public(id, key) => (*id, *key),
                RetiredKey::Derived(id) => match keys.sticker_signer(*id) {
                    Ok(s) => (*id, s.public_key()),
                    Err(error) => {
                        tracing::error!(%error, key = %id, "retired sticker key not derived");
                        continue;
                    }
                },
            };
            if trust.get(id).is_none() {
                trust.insert(id, public);
                listed.push((id, public, false));
            }
        }
        StickerKeys {
            signer,
            host: settings.public_host.clone(),
            trust,
            listed,
        }
    }

    /// The host sticker URLs point to.
    pub fn host(&self) -> &str {
        &self.host
    }

    /// Keys whose stickers are genuine.
    pub fn trust(&self) -> &TrustList {
        &self.trust
    }

    /// The trust list as published by `GET /v1/trust`, current key first.
    pub fn trusted_keys(&self) -> Vec<TrustedKey> {
        self.listed
            .iter()
            .map(|(id, key, current)| trusted_key(*id, key, *current))
            .collect()
    }

    /// The sticker URL of a building, signed now with the current key.
    pub fn url(&self, building: &BuildingId, issued_on: NaiveDate) -> Result<String, StickerError> {
        self.signer
            .as_ref()
            .ok_or(StickerError::MalformedField("signing key"))?
            .url(building, issued_on)
    }
}

fn trusted_key(id: KeyId, key: &[u8; 32], current: bool) -> TrustedKey {
    let public_key = URL_SAFE_NO_PAD.encode(key);
    TrustedKey {
        key_id: id.to_string(),
        entry: format!("{id}:{public_key}"),
        public_key,
        current,
    }
}

/// The voucher keys in the trust list's shape.
pub fn voucher_keys(vouchers: &VoucherKeys) -> Vec<TrustedKey> {
    vouchers
        .trust_entries()
        .iter()
        .filter_map(|entry| {
            let mut one = TrustList::new();
            let id = one.add_entry(entry).ok()?;
            let key = *one.get(id)?;
            Some(trusted_key(id, &key, true))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use connect_core::qr::{StickerTrust, verify_sticker};

    use super::*;

    fn day() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 23).unwrap()
    }

    fn trust_of(keys: &StickerKeys) -> StickerTrust {
        let mut list = TrustList::new();
        for k in keys.trusted_keys() {
            list.add_entry(&k.entry).unwrap();
        }
        StickerTrust {
            host: keys.host().to_owned(),
            keys: list,
        }
    }

    #[test]
    fn a_rotated_key_keeps_old_stickers_until_it_is_removed() {
        let secret = Keys::new("0123456789abcdef0123456789abcdef");
        let b = BuildingId("VLG-1".into());
        let first = StickerKeys::new(
            &secret,
            &StickerSettings::parse("h.test".into(), "0001", &[]).unwrap(),
        );
        let old = first.url(&b, day()).unwrap();
        let rotated = StickerKeys::new(
            &secret,
            &StickerSettings::parse("h.test".into(), "0002", &["0001".into()]).unwrap(),
        );
        let listed = rotated.trusted_keys();
        assert_eq!(listed.len(), 2);
        assert!(listed[0].current && listed[0].key_id == "0002");
        assert!(!listed[1].current && listed[1].key_id == "0001");
        let new = rotated.url(&b, day()).unwrap();
        assert_eq!(
            verify_sticker(&old, &trust_of(&rotated)).unwrap().key_id,
            KeyId(1)
        );
        assert_eq!(
            verify_sticker(&new, &trust_of(&rotated)).unwrap().key_id,
            KeyId(2)
        );
        let removed = StickerKeys::new(
            &secret,
            &StickerSettings::parse("h.test".into(), "0002", &[]).unwrap(),
        );
        assert_eq!(
            verify_sticker(&old, &trust_of(&removed)),
            Err(StickerError::UnknownKey(KeyId(1)))
        );
    }

    #[test]
    fn a_retired_key_of_an_earlier_secret_is_listed_by_its_public_key() {
        let earlier = Keys::new("earlier-secret-earlier-secret-earlier");
        let entry = earlier.sticker_signer(KeyId(1)).unwrap().trust_entry();
        let old = StickerKeys::new(
            &earlier,
            &StickerSettings::parse("h.test".into(), "0001", &[]).unwrap(),
        )
        .url(&BuildingId("B".into()), day())
        .unwrap();
        let now = Keys::new("current-secret-current-secret-current");
        let keys = StickerKeys::new(
            &now,
            &StickerSettings::parse("h.test".into(), "0002", &[entry]).unwrap(),
        );
        assert!(verify_sticker(&old, &trust_of(&keys)).is_ok());
        assert!(StickerSettings::parse("h".into(), "12", &[]).is_err());
        assert!(StickerSettings::parse("h".into(), "0001", &["0002:short".into()]).is_err());
    }
}
