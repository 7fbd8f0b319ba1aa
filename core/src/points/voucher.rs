//! Voucher tokens: the QR a resident shows at a partner's till. A voucher is a [signed
//! envelope](crate::qr::signing) whose version byte is the voucher type tag [`VOUCHER_VERSION`]
//! (`b'V'`), distinct from the sticker's, so a sticker never opens as a voucher nor a voucher as a
//! sticker. A partner verifies it offline ([`verify_voucher`]) for an instant answer, then redeems
//! it online; only the server can say whether it was already redeemed. It is drawn as a QR code by
//! [`QrMatrix`](super::QrMatrix).
//!
//! Payload: `voucher id: 16 bytes (UUIDv7) | points: u32 BE | expires: i64 BE unix seconds |
//! len(partner id): u8 (0 = any partner) | partner id (ASCII)`.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::ids::{PartnerId, VoucherId};
use crate::qr::signing::{EnvelopeRefusal, KeyId, TokenSigner, TrustList, open_token};

/// Type tag and format version of voucher tokens (first byte of the envelope).
pub const VOUCHER_VERSION: u8 = b'V';
/// Longest token accepted, checked before decoding (a real one is ~140 characters).
pub const MAX_VOUCHER_TOKEN_LEN: usize = 320;
/// Longest partner id a voucher may carry.
pub const MAX_PARTNER_ID_LEN: usize = 64;

/// What a genuine voucher says.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "ffi", derive(uniffi::Record))]
pub struct VoucherClaims {
    /// The voucher (the server's reservation).
    pub id: VoucherId,
    /// Points it is worth.
    pub points: u32,
    /// The one partner that may take it, or `None` for any partner.
    pub partner_id: Option<PartnerId>,
    /// After this instant the voucher is void (and its points go back to the resident).
    pub expires_at: DateTime<Utc>,
    /// Which key signed it.
    pub key_id: KeyId,
}

/// Why a voucher is refused, as the till or the app shows it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VoucherError {
    /// Not a voucher at all (a sticker, a URL, random text, a cut-off code).
    #[error("this code is not a voucher")]
    Malformed,
    /// Signed by a key this till does not trust (possibly a newer key: update the till).
    #[error("this voucher was signed by an unknown key; update the app and try again")]
    UnknownKey,
    /// The signature does not match: someone changed or made up the voucher.
    #[error("this voucher is forged")]
    Forged,
    /// Past its expiry; the points went back to the resident.
    #[error("this voucher has expired; ask the customer to make a new one")]
    Expired,
    /// Made out for another partner.
    #[error("this voucher is for another shop")]
    WrongPartner,
    /// Already taken once (only the server knows this).
    #[error("this voucher was already redeemed")]
    AlreadyRedeemed,
}

impl VoucherError {
    /// The stable reason code used on the wire (`forged`, `expired`, …).
    pub fn code(&self) -> &'static str {
        match self {
            VoucherError::Malformed => "malformed",
            VoucherError::UnknownKey => "unknown_key",
            VoucherError::Forged => "forged",
            VoucherError::Expired => "expired",
            VoucherError::WrongPartner => "wrong_partner",
            VoucherError::AlreadyRedeemed => "already_redeemed",
        }
    }
}

fn valid_partner_id(id: &str) -> bool {
    id.len() <= MAX_PARTNER_ID_LEN
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
}

/// Signs a voucher on the server. Fails only on a partner id that cannot be carried.
pub fn sign_voucher(signer: &TokenSigner, claims: &VoucherClaims) -> Result<String, VoucherError> {
    let partner = claims
        .partner_id
        .as_ref()
        .map(|p| p.0.as_str())
        .unwrap_or("");
    if !valid_partner_id(partner) {
        return Err(VoucherError::Malformed);
    }
    let mut payload = Vec::with_capacity(16 + 4 + 8 + 1 + partner.len());
    payload.extend_from_slice(claims.id.0.as_bytes());
    payload.extend_from_slice(&claims.points.to_be_bytes());
    payload.extend_from_slice(&claims.expires_at.timestamp().to_be_bytes());
    // valid_partner_id bounds the length to 64.
    payload.push(partner.len() as u8);
    payload.extend_from_slice(partner.as_bytes());
    Ok(signer.sign(VOUCHER_VERSION, &payload))
}

/// Checks signature and format only (no expiry, no partner): what the server does first.
pub fn open_voucher(token: &str, trust: &TrustList) -> Result<VoucherClaims, VoucherError> {
    let token = token.trim();
    let verified =
        open_token(token, VOUCHER_VERSION, MAX_VOUCHER_TOKEN_LEN, trust).map_err(|r| match r {
            EnvelopeRefusal::UnknownKey(_) => VoucherError::UnknownKey,
            EnvelopeRefusal::BadSignature => VoucherError::Forged,
            EnvelopeRefusal::Oversized
            | EnvelopeRefusal::NotBase64
            | EnvelopeRefusal::Truncated
            | EnvelopeRefusal::WrongVersion(_) => VoucherError::Malformed,
        })?;
    let p = &verified.payload;
    if p.len() < 29 {
        return Err(VoucherError::Malformed);
    }
    let id = Uuid::from_slice(&p[..16]).map_err(|_| VoucherError::Malformed)?;
    let points = u32::from_be_bytes([p[16], p[17], p[18], p[19]]);
    let mut secs = [0u8; 8];
    secs.copy_from_slice(&p[20..28]);
    let expires_at =
        DateTime::from_timestamp(i64::from_be_bytes(secs), 0).ok_or(VoucherError::Malformed)?;
    let len = usize::from(p[28]);
    if p.len() != 29 + len {
        return Err(VoucherError::Malformed);
    }
    let partner = std::str::from_utf8(&p[29..]).map_err(|_| VoucherError::Malformed)?;
    if !valid_partner_id(partner) {
        return Err(VoucherError::Malformed);
    }
    Ok(VoucherClaims {
        id: VoucherId(id),
        points,
        partner_id: (!partner.is_empty()).then(|| PartnerId(partner.to_owned())),
        expires_at,
        key_id: verified.key_id,
    })
}

/// The till's offline check: genuine, not expired at `now`, and for `partner` (or any partner).
pub fn verify_voucher(
    token: &str,
    trust: &TrustList,
    partner: &PartnerId,
    now: DateTime<Utc>,
) -> Result<VoucherClaims, VoucherError> {
    let claims = open_voucher(token, trust)?;
    if now >= claims.expires_at {
        return Err(VoucherError::Expired);
    }
    if claims.partner_id.as_ref().is_some_and(|p| p != partner) {
        return Err(VoucherError::WrongPartner);
    }
    Ok(claims)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use chrono::Duration;

    use super::*;
    use crate::qr::sticker::{StickerSigner, StickerTrust, verify_sticker, verify_sticker_token};

    fn signer(id: u16, seed: u8) -> TokenSigner {
        TokenSigner::from_seed(KeyId(id), &[seed; 32]).unwrap()
    }

    fn trust(s: &TokenSigner) -> TrustList {
        let mut t = TrustList::new();
        t.insert(s.key_id(), s.public_key());
        t
    }

    fn claims(partner: Option<&str>, expires_at: DateTime<Utc>) -> VoucherClaims {
        VoucherClaims {
            id: VoucherId(Uuid::now_v7()),
            points: 150,
            partner_id: partner.map(|p| PartnerId(p.into())),
            expires_at,
            key_id: KeyId(7),
        }
    }

    fn now() -> DateTime<Utc> {
        DateTime::from_timestamp(1_800_000_000, 0).unwrap()
    }

    #[test]
    fn a_genuine_voucher_verifies_offline_with_all_its_fields() {
        let s = signer(7, 1);
        let c = claims(Some("cafe-1"), now() + Duration::minutes(10));
        let token = sign_voucher(&s, &c).unwrap();
        let got = verify_voucher(&token, &trust(&s), &PartnerId("cafe-1".into()), now()).unwrap();
        assert_eq!(got, c);
    }

    #[test]
    fn an_any_partner_voucher_is_taken_by_every_partner() {
        let s = signer(7, 1);
        let token = sign_voucher(&s, &claims(None, now() + Duration::minutes(10))).unwrap();
        for p in ["cafe-1", "cleaner"] {
            assert!(verify_voucher(&token, &trust(&s), &PartnerId(p.into()), now()).is_ok());
        }
    }

    #[test]
    fn a_voucher_for_another_partner_is_refused_as_wrong_partner() {
        let s = signer(7, 1);
        let token =
            sign_voucher(&s, &claims(Some("cafe-1"), now() + Duration::minutes(10))).unwrap();
        assert_eq!(
            verify_voucher(&token, &trust(&s), &PartnerId("cleaner".into()), now()),
            Err(VoucherError::WrongPartner)
        );
    }

    #[test]
    fn an_expired_voucher_is_refused_from_its_expiry_second_on() {
        let s = signer(7, 1);
        let exp = now() + Duration::minutes(10);
        let token = sign_voucher(&s, &claims(None, exp)).unwrap();
        let p = PartnerId("cafe-1".into());
        assert!(verify_voucher(&token, &trust(&s), &p, exp - Duration::seconds(1)).is_ok());
        assert_eq!(
            verify_voucher(&token, &trust(&s), &p, exp),
            Err(VoucherError::Expired)
        );
    }

    #[test]
    fn a_voucher_signed_by_another_key_under_a_trusted_id_is_forged() {
        let real = signer(7, 1);
        let forger = signer(7, 2);
        let token = sign_voucher(&forger, &claims(None, now() + Duration::minutes(10))).unwrap();
        assert_eq!(
            verify_voucher(&token, &trust(&real), &PartnerId("x".into()), now()),
            Err(VoucherError::Forged)
        );
    }

    #[test]
    fn a_voucher_with_more_points_written_in_is_forged() {
        let s = signer(7, 1);
        let token = sign_voucher(&s, &claims(None, now() + Duration::minutes(10))).unwrap();
        let mut bytes =
            base64::Engine::decode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, &token)
                .unwrap();
        // Header is 3 bytes, then 16 bytes of id; the points' low byte is at 3 + 19.
        bytes[3 + 19] = 0xff;
        let tampered =
            base64::Engine::encode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, &bytes);
        assert_eq!(
            verify_voucher(&tampered, &trust(&s), &PartnerId("x".into()), now()),
            Err(VoucherError::Forged)
        );
    }

    #[test]
    fn a_voucher_signed_by_an_untrusted_key_id_is_unknown_key() {
        let s = signer(9, 1);
        let token = sign_voucher(&s, &claims(None, now() + Duration::minutes(10))).unwrap();
        assert_eq!(
            verify_voucher(&token, &trust(&signer(7, 1)), &PartnerId("x".into()), now()),
            Err(VoucherError::UnknownKey)
        );
    }

    #[test]
    fn stickers_never_open_as_vouchers_and_vouchers_never_as_stickers() {
        let s = signer(7, 1);
        let t = trust(&s);
        let sticker = StickerSigner::new(signer(7, 1), "h.example");
        let sticker_token = sticker
            .token(
                &crate::ids::BuildingId("VLG-1".into()),
                chrono::NaiveDate::from_ymd_opt(2026, 1, 2).unwrap(),
            )
            .unwrap();
        assert_eq!(
            verify_voucher(&sticker_token, &t, &PartnerId("x".into()), now()),
            Err(VoucherError::Malformed)
        );
        let voucher = sign_voucher(&s, &claims(None, now() + Duration::minutes(10))).unwrap();
        let st = StickerTrust {
            host: "h.example".into(),
            keys: t,
        };
        assert!(verify_sticker_token(&voucher, &st.keys).is_err());
        assert!(verify_sticker(&format!("https://h.example/p/{voucher}"), &st).is_err());
    }

    #[test]
    fn garbage_and_truncated_tokens_are_malformed_not_panics() {
        let s = signer(7, 1);
        let t = trust(&s);
        let token = sign_voucher(&s, &claims(Some("cafe"), now() + Duration::minutes(10))).unwrap();
        for cut in 0..token.len() {
            assert!(verify_voucher(&token[..cut], &t, &PartnerId("cafe".into()), now()).is_err());
        }
        for junk in ["", "hello", "https://x/p/abc", &"A".repeat(5000)] {
            assert_eq!(
                verify_voucher(junk, &t, &PartnerId("cafe".into()), now()),
                Err(VoucherError::Malformed)
            );
        }
    }

    #[test]
    fn a_rendered_voucher_decodes_back_to_the_same_token() {
        let s = signer(7, 1);
        let token =
            sign_voucher(&s, &claims(Some("cafe-1"), now() + Duration::minutes(10))).unwrap();
        let qr = crate::points::QrMatrix::encode(&token).unwrap();
        let (w, h, luma) = qr.to_luma(4);
        let codes = crate::qr::decode_frame(&luma, w, h, w).unwrap();
        assert!(codes.iter().any(|c| c.text == token), "{codes:?}");
        assert!(qr.to_terminal().lines().count() > 10);
    }

    #[test]
    fn every_refusal_has_a_message_and_a_distinct_code() {
        let all = [
            VoucherError::Malformed,
            VoucherError::UnknownKey,
            VoucherError::Forged,
            VoucherError::Expired,
            VoucherError::WrongPartner,
            VoucherError::AlreadyRedeemed,
        ];
        let codes: std::collections::BTreeSet<_> = all.iter().map(VoucherError::code).collect();
        assert_eq!(codes.len(), all.len());
        assert!(all.iter().all(|e| !e.to_string().is_empty()));
    }
}
