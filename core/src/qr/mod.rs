//! Signed QR payloads (building stickers, account codes, vouchers) and camera-frame decoding.
//!
//! - [`signing`]: the Ed25519 signed-token envelope and trust lists (key rotation).
//! - [`sticker`]: building sticker URLs, signed by the server and verified offline by the app.
//! - [`account_code`]: the code on the bill that links a resident to a personal account once.
//! - [`decode`]: every QR code in a camera frame (luma plane), guarded against decoder panics.

pub mod account_code;
pub mod decode;
pub mod error;
pub mod signing;
pub mod sticker;

pub use account_code::{AccountCode, hash_secret, secret_hashes_match};
pub use decode::{
    Charset, DecodedCode, decode_frame, decode_frame_fast_path, decode_module_grid,
    fast_path_panics,
};
pub use error::{AccountCodeError, DecodeError, SigningError, StickerError};
pub use signing::{KeyId, TokenSigner, TrustList};
pub use sticker::{
    StickerClaims, StickerSigner, StickerTrust, verify_sticker, verify_sticker_token,
};
