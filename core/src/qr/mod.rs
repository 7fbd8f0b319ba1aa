//! Signed QR payloads (building stickers, account codes, vouchers) and camera-frame decoding.
