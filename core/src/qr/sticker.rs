//! Building stickers: `https://<host>/p/<token>`, where the token is a [signed envelope](super::signing)
//! carrying the building id and issue date. Any phone camera opens the public page; the app verifies
//! the token offline and opens the property. A sticker never links an account.
//!
//! Payload (version 1): `len(building id): u8 | building id (ASCII) | issue date: u32 BE days since
//! 1970-01-01`.

use chrono::NaiveDate;

use super::error::StickerError;
use super::signing::{EnvelopeRefusal, KeyId, TokenSigner, TrustList, open_token};
use crate::ids::BuildingId;

/// Current sticker format version (first byte of the token).
pub const STICKER_VERSION: u8 = 1;
/// Longest token accepted, checked before decoding (a real one is ~110 characters).
pub const MAX_STICKER_TOKEN_LEN: usize = 256;
/// Longest building id a sticker may carry.
pub const MAX_BUILDING_ID_LEN: usize = 64;
/// The path prefix of sticker URLs.
pub const STICKER_PATH: &str = "/p/";

/// What a genuine sticker says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StickerClaims {
    /// The building on whose entrance the sticker hangs.
    pub building_id: BuildingId,
    /// When the sticker was issued.
    pub issued_on: NaiveDate,
    /// Which key signed it.
    pub key_id: KeyId,
}

/// The trust list plus the one host sticker URLs must point to.
#[derive(Debug, Clone)]
pub struct StickerTrust {
    /// Host name (no scheme, no port unless the server is reached on one), e.g. `connect.example`.
    pub host: String,
    /// Keys whose stickers are genuine.
    pub keys: TrustList,
}

/// Signs building stickers on the server.
#[derive(Debug)]
pub struct StickerSigner {
    signer: TokenSigner,
    host: String,
}

fn epoch() -> NaiveDate {
    NaiveDate::from_ymd_opt(1970, 1, 1).unwrap_or_default()
}

fn valid_building_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= MAX_BUILDING_ID_LEN
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
}

impl StickerSigner {
    /// A signer for stickers pointing at `host`.
    pub fn new(signer: TokenSigner, host: impl Into<String>) -> Self {
        Self {
            signer,
            host: host.into(),
        }
    }

    /// The key id and public key, for trust lists.
    pub fn signer(&self) -> &TokenSigner {
        &self.signer
    }

    /// The bare token for a building (what goes after `/p/`).
    pub fn token(
        &self,
        building: &BuildingId,
        issued_on: NaiveDate,
    ) -> Result<String, StickerError> {
        if !valid_building_id(&building.0) {
            return Err(StickerError::MalformedField("building id"));
        }
        let days = u32::try_from((issued_on - epoch()).num_days())
            .map_err(|_| StickerError::MalformedField("issue date"))?;
        let mut payload = Vec::with_capacity(1 + building.0.len() + 4);
        // Length fits: valid_building_id caps it at 64.
        payload.push(building.0.len() as u8);
        payload.extend_from_slice(building.0.as_bytes());
        payload.extend_from_slice(&days.to_be_bytes());
        Ok(self.signer.sign(STICKER_VERSION, &payload))
    }

    /// The full sticker URL for a building.
    pub fn url(&self, building: &BuildingId, issued_on: NaiveDate) -> Result<String, StickerError> {
        Ok(format!(
            "https://{}{STICKER_PATH}{}",
            self.host,
            self.token(building, issued_on)?
        ))
    }
}

/// Extracts the token from a sticker URL, checking scheme, host and path exactly.
pub fn sticker_token<'a>(
    url_or_text: &'a str,
    expected_host: &str,
) -> Result<&'a str, StickerError> {
    let text = url_or_text.trim();
    let rest = if let Some(rest) = strip_prefix_ignore_case(text, "https://") {
        rest
    } else if strip_prefix_ignore_case(text, "http://").is_some() {
        return Err(StickerError::InsecureUrl);
    } else {
        return Err(StickerError::NotStickerUrl);
    };
    let (host, path) = match rest.find('/') {
        Some(i) => rest.split_at(i),
        None => return Err(StickerError::NotStickerUrl),
    };
    if !host.eq_ignore_ascii_case(expected_host) {
        return Err(StickerError::OtherHost(host.to_owned()));
    }
    let token = path
        .strip_prefix(STICKER_PATH)
        .ok_or(StickerError::NotStickerUrl)?;
    if token.is_empty() || token.contains(['/', '?', '#']) {
        return Err(StickerError::NotStickerUrl);
    }
    Ok(token)
}

fn strip_prefix_ignore_case<'a>(s: &'a str, prefix: &str) -> Option<&'a str> {
    let head = s.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix)
        .then(|| &s[prefix.len()..])
}

/// Verifies a scanned sticker URL offline. Every refusal has its own variant.
pub fn verify_sticker(
    url_or_text: &str,
    trust: &StickerTrust,
) -> Result<StickerClaims, StickerError> {
    let token = sticker_token(url_or_text, &trust.host)?;
    verify_sticker_token(token, &trust.keys)
}

/// Verifies a bare sticker token (the part after `/p/`), as the server's public page does.
pub fn verify_sticker_token(token: &str, keys: &TrustList) -> Result<StickerClaims, StickerError> {
    let opened =
        open_token(token, STICKER_VERSION, MAX_STICKER_TOKEN_LEN, keys).map_err(|r| match r {
            EnvelopeRefusal::Oversized => StickerError::Oversized,
            EnvelopeRefusal::NotBase64 => StickerError::MalformedToken,
            EnvelopeRefusal::Truncated => StickerError::Truncated,
            EnvelopeRefusal::WrongVersion(v) => StickerError::WrongVersion(v),
            EnvelopeRefusal::UnknownKey(k) => StickerError::UnknownKey(k),
            EnvelopeRefusal::BadSignature => StickerError::BadSignature,
        })?;
    let (building_id, issued_on) = parse_payload(&opened.payload)?;
    Ok(StickerClaims {
        building_id,
        issued_on,
        key_id: opened.key_id,
    })
}

fn parse_payload(p: &[u8]) -> Result<(BuildingId, NaiveDate), StickerError> {
    let (&len, rest) = p
        .split_first()
        .ok_or(StickerError::MalformedField("building id"))?;
    let len = usize::from(len);
    if rest.len() != len + 4 {
        return Err(StickerError::MalformedField("payload length"));
    }
    let (id, date) = rest.split_at(len);
    let id = std::str::from_utf8(id).map_err(|_| StickerError::MalformedField("building id"))?;
    if !valid_building_id(id) {
        return Err(StickerError::MalformedField("building id"));
    }
    let days = u32::from_be_bytes([date[0], date[1], date[2], date[3]]);
    let issued_on = epoch()
        .checked_add_days(chrono::Days::new(u64::from(days)))
        .ok_or(StickerError::MalformedField("issue date"))?;
    Ok((BuildingId(id.to_owned()), issued_on))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use base64::Engine as _;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;

    use super::*;
    use crate::qr::account_code::AccountCode;
    use crate::qr::signing::TokenSigner;

    const HOST: &str = "connect.example";

    fn signer(id: u16, seed: u8) -> StickerSigner {
        StickerSigner::new(
            TokenSigner::from_seed(KeyId(id), &[seed; 32]).unwrap(),
            HOST,
        )
    }

    fn trust_for(signers: &[&StickerSigner]) -> StickerTrust {
        let mut keys = TrustList::new();
        for s in signers {
            keys.insert(s.signer().key_id(), s.signer().public_key());
        }
        StickerTrust {
            host: HOST.to_owned(),
            keys,
        }
    }

    fn day() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 23).unwrap()
    }

    fn building() -> BuildingId {
        BuildingId("VLG-000123".to_owned())
    }

    fn url_with_bytes(bytes: &[u8]) -> String {
        format!("https://{HOST}/p/{}", URL_SAFE_NO_PAD.encode(bytes))
    }

    fn genuine_bytes(s: &StickerSigner) -> Vec<u8> {
        URL_SAFE_NO_PAD
            .decode(s.token(&building(), day()).unwrap())
            .unwrap()
    }

    #[test]
    fn a_genuine_sticker_verifies_with_its_building_and_date() {
        let s = signer(1, 7);
        let url = s.url(&building(), day()).unwrap();
        assert!(url.starts_with("https://connect.example/p/"));
        let claims = verify_sticker(&url, &trust_for(&[&s])).unwrap();
        assert_eq!(claims.building_id, building());
        assert_eq!(claims.issued_on, day());
        assert_eq!(claims.key_id, KeyId(1));
    }

    #[test]
    fn stickers_of_any_trusted_key_verify_and_a_retired_key_stops_verifying() {
        let old = signer(1, 7);
        let new = signer(2, 8);
        let old_url = old.url(&building(), day()).unwrap();
        let new_url = new.url(&building(), day()).unwrap();
        let mut trust = trust_for(&[&old, &new]);
        assert!(verify_sticker(&old_url, &trust).is_ok());
        assert!(verify_sticker(&new_url, &trust).is_ok());
        assert!(trust.keys.remove(KeyId(1)));
        assert_eq!(
            verify_sticker(&old_url, &trust),
            Err(StickerError::UnknownKey(KeyId(1)))
        );
        assert!(verify_sticker(&new_url, &trust).is_ok());
    }

    #[test]
    fn flipping_any_bit_of_the_signature_is_a_bad_signature() {
        let s = signer(1, 7);
        let trust = trust_for(&[&s]);
        let bytes = genuine_bytes(&s);
        for i in bytes.len() - 64..bytes.len() {
            for bit in 0..8 {
                let mut b = bytes.clone();
                b[i] ^= 1 << bit;
                assert_eq!(
                    verify_sticker(&url_with_bytes(&b), &trust),
                    Err(StickerError::BadSignature)
                );
            }
        }
    }

    #[test]
    fn flipping_any_bit_of_the_payload_is_a_bad_signature() {
        let s = signer(1, 7);
        let trust = trust_for(&[&s]);
        let bytes = genuine_bytes(&s);
        for i in 3..bytes.len() - 64 {
            for bit in 0..8 {
                let mut b = bytes.clone();
                b[i] ^= 1 << bit;
                assert_eq!(
                    verify_sticker(&url_with_bytes(&b), &trust),
                    Err(StickerError::BadSignature)
                );
            }
        }
    }

    #[test]
    fn a_changed_version_byte_is_a_wrong_version() {
        let s = signer(1, 7);
        let trust = trust_for(&[&s]);
        let mut b = genuine_bytes(&s);
        for v in [0u8, 2, 0x81, 255] {
            b[0] = v;
            assert_eq!(
                verify_sticker(&url_with_bytes(&b), &trust),
                Err(StickerError::WrongVersion(v))
            );
        }
    }

    #[test]
    fn a_changed_key_id_is_unknown_or_fails_the_other_keys_signature() {
        let a = signer(1, 7);
        let b_signer = signer(2, 8);
        let mut b = genuine_bytes(&a);
        b[2] = 9;
        assert_eq!(
            verify_sticker(&url_with_bytes(&b), &trust_for(&[&a, &b_signer])),
            Err(StickerError::UnknownKey(KeyId(9)))
        );
        // Relabelled as key 2, which is trusted: the signature of key 1 does not match key 2.
        b[2] = 2;
        assert_eq!(
            verify_sticker(&url_with_bytes(&b), &trust_for(&[&a, &b_signer])),
            Err(StickerError::BadSignature)
        );
    }

    #[test]
    fn every_truncation_is_refused_and_never_accepted() {
        let s = signer(1, 7);
        let trust = trust_for(&[&s]);
        let token = s.token(&building(), day()).unwrap();
        for len in 0..token.len() {
            let url = format!("https://{HOST}/p/{}", &token[..len]);
            let err = verify_sticker(&url, &trust).unwrap_err();
            assert!(
                matches!(
                    err,
                    StickerError::Truncated
                        | StickerError::BadSignature
                        | StickerError::MalformedToken
                        | StickerError::NotStickerUrl
                ),
                "length {len}: {err:?}"
            );
        }
        // Byte-level truncation below header + signature is reported as truncated.
        let bytes = genuine_bytes(&s);
        for len in 1..67 {
            assert_eq!(
                verify_sticker(&url_with_bytes(&bytes[..len]), &trust),
                Err(StickerError::Truncated)
            );
        }
    }

    #[test]
    fn extended_tokens_are_refused() {
        let s = signer(1, 7);
        let trust = trust_for(&[&s]);
        let mut b = genuine_bytes(&s);
        b.push(0);
        assert_eq!(
            verify_sticker(&url_with_bytes(&b), &trust),
            Err(StickerError::BadSignature)
        );
        let token = s.token(&building(), day()).unwrap();
        let long = format!(
            "https://{HOST}/p/{token}{}",
            "A".repeat(MAX_STICKER_TOKEN_LEN)
        );
        assert_eq!(verify_sticker(&long, &trust), Err(StickerError::Oversized));
    }

    #[test]
    fn urls_other_than_https_host_p_token_are_refused() {
        let s = signer(1, 7);
        let trust = trust_for(&[&s]);
        let token = s.token(&building(), day()).unwrap();
        let cases = [
            (
                format!("http://{HOST}/p/{token}"),
                StickerError::InsecureUrl,
            ),
            (
                format!("https://evil.example/p/{token}"),
                StickerError::OtherHost("evil.example".into()),
            ),
            (
                format!("https://{HOST}.evil.example/p/{token}"),
                StickerError::OtherHost(format!("{HOST}.evil.example")),
            ),
            (
                format!("https://{HOST}:8443/p/{token}"),
                StickerError::OtherHost(format!("{HOST}:8443")),
            ),
            (
                format!("https://{HOST}/p/{token}/extra"),
                StickerError::NotStickerUrl,
            ),
            (
                format!("https://{HOST}/x/p/{token}"),
                StickerError::NotStickerUrl,
            ),
            (
                format!("https://{HOST}/p/{token}?ref=1"),
                StickerError::NotStickerUrl,
            ),
            (
                format!("https://{HOST}/p/{token}#frag"),
                StickerError::NotStickerUrl,
            ),
            (format!("https://{HOST}/p/"), StickerError::NotStickerUrl),
            (format!("https://{HOST}"), StickerError::NotStickerUrl),
            (
                format!("ftp://{HOST}/p/{token}"),
                StickerError::NotStickerUrl,
            ),
            (token.clone(), StickerError::NotStickerUrl),
            (String::new(), StickerError::NotStickerUrl),
            (
                format!("https://{HOST}/p/{token}=="),
                StickerError::MalformedToken,
            ),
            (
                format!("https://{HOST}/p/{}", token.replace('A', "+")),
                StickerError::MalformedToken,
            ),
        ];
        for (url, want) in cases {
            if url.contains('+') && !token.contains('A') {
                continue;
            }
            assert_eq!(verify_sticker(&url, &trust), Err(want), "{url}");
        }
    }

    #[test]
    fn host_case_and_surrounding_whitespace_do_not_matter() {
        let s = signer(1, 7);
        let token = s.token(&building(), day()).unwrap();
        let url = format!("  HTTPS://Connect.Example/p/{token}\n");
        assert!(verify_sticker(&url, &trust_for(&[&s])).is_ok());
    }

    #[test]
    fn a_validly_signed_token_with_a_malformed_building_field_is_refused() {
        let s = signer(1, 7);
        let trust = trust_for(&[&s]);
        // Length byte says 200 but only 10 bytes follow.
        let mut payload = vec![200u8];
        payload.extend_from_slice(b"VLG-000123");
        payload.extend_from_slice(&[0, 0, 0, 1]);
        let token = s.signer().sign(STICKER_VERSION, &payload);
        assert_eq!(
            verify_sticker_token(&token, &trust.keys),
            Err(StickerError::MalformedField("payload length"))
        );
        let mut payload = vec![3u8];
        payload.extend_from_slice(b"a/b");
        payload.extend_from_slice(&[0, 0, 0, 1]);
        let token = s.signer().sign(STICKER_VERSION, &payload);
        assert_eq!(
            verify_sticker_token(&token, &trust.keys),
            Err(StickerError::MalformedField("building id"))
        );
    }

    #[test]
    fn the_signer_refuses_building_ids_that_could_not_be_read_back() {
        let s = signer(1, 7);
        for bad in ["", "a b", "x/y", &"A".repeat(65)] {
            assert!(
                s.token(&BuildingId(bad.to_owned()), day()).is_err(),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn pkcs8_keys_sign_stickers_that_verify_via_a_parsed_trust_entry() {
        let doc = TokenSigner::generate_pkcs8().unwrap();
        let signer = TokenSigner::from_pkcs8(KeyId(0x0a0b), &doc).unwrap();
        let entry = signer.trust_entry();
        let s = StickerSigner::new(signer, HOST);
        let mut keys = TrustList::new();
        assert_eq!(keys.add_entry(&entry).unwrap(), KeyId(0x0a0b));
        let trust = StickerTrust {
            host: HOST.into(),
            keys,
        };
        assert!(verify_sticker(&s.url(&building(), day()).unwrap(), &trust).is_ok());
        assert!(TokenSigner::from_pkcs8(KeyId(1), b"not a key").is_err());
    }

    #[test]
    fn stickers_and_account_codes_never_parse_as_each_other() {
        let s = signer(1, 7);
        let url = s.url(&building(), day()).unwrap();
        assert!(AccountCode::parse(&url).is_err());
        assert!(AccountCode::parse(&s.token(&building(), day()).unwrap()).is_err());
        let code = AccountCode::generate(crate::ids::AccountId(uuid::Uuid::new_v4())).unwrap();
        assert_eq!(
            verify_sticker(&code.to_string(), &trust_for(&[&s])),
            Err(StickerError::NotStickerUrl)
        );
        assert!(verify_sticker_token(&code.to_string(), &trust_for(&[&s]).keys).is_err());
    }

    #[test]
    fn errors_read_as_messages_for_people() {
        assert_eq!(
            StickerError::BadSignature.to_string(),
            "This is not a genuine sticker: its signature does not match."
        );
        assert!(
            StickerError::OtherHost("evil.example".into())
                .to_string()
                .contains("evil.example")
        );
    }
}
