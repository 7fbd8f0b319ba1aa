//! Fuzz target: sticker URL/token and account-code parsing never panic, and nothing random verifies.
#![no_main]

use connect_core::qr::{AccountCode, KeyId, StickerTrust, TrustList, verify_sticker, verify_sticker_token};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let mut keys = TrustList::new();
    // A fixed public key: random input must never carry a valid signature for it.
    keys.insert(KeyId(1), [7u8; 32]);
    let trust = StickerTrust {
        host: "connect.example".to_owned(),
        keys,
    };
    assert!(verify_sticker(text, &trust).is_err());
    assert!(verify_sticker_token(text, &trust.keys).is_err());
    let _ = AccountCode::parse(text);
});
