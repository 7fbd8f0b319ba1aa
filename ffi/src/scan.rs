//! Scanning: QR codes in camera frames, and building stickers checked offline.
//!
//! Frames arrive as the camera's luma plane (CameraX `ImageAnalysis` Y plane, AVFoundation's
//! luma plane) with its row stride. A sticker refusal is its own human error, [`StickerScanError`]:
//! the scan screen says why a code is not opened instead of parsing a string.

use connect_core::qr::{self, Charset, StickerClaims, StickerError};

use crate::app::ConnectApp;

/// One QR code found in a frame. Core's record carries its corners as tuples, which do not cross
/// the boundary; here they are points.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct DecodedCode {
    /// The payload as text.
    pub text: String,
    /// The payload bytes after error correction.
    pub bytes: Vec<u8>,
    /// Corners in frame pixels: top-left, top-right, bottom-right, bottom-left.
    pub corners: Vec<FramePoint>,
    /// How `text` was decoded from `bytes`.
    pub charset: Charset,
}

/// A point in frame pixels.
#[derive(Debug, Clone, Copy, PartialEq, uniffi::Record)]
pub struct FramePoint {
    /// Column.
    pub x: f32,
    /// Row.
    pub y: f32,
}

impl From<qr::DecodedCode> for DecodedCode {
    fn from(code: qr::DecodedCode) -> Self {
        DecodedCode {
            text: code.text,
            bytes: code.bytes,
            corners: code.corners.map(|(x, y)| FramePoint { x, y }).into(),
            charset: code.charset,
        }
    }
}

/// The frame handed in does not describe a luma plane (a shell bug: wrong size or stride).
#[derive(Debug, thiserror::Error, uniffi::Error)]
pub enum FrameError {
    /// Zero size, stride below width, buffer too short, or larger than any camera frame.
    #[error("invalid frame: {reason}")]
    InvalidFrame {
        /// Which.
        reason: String,
    },
}

/// Every QR code in a camera frame; none found is an empty list. Never panics on a frame.
#[uniffi::export]
pub fn decode_frame(
    luma: Vec<u8>,
    width: u32,
    height: u32,
    row_stride: u32,
) -> Result<Vec<DecodedCode>, FrameError> {
    let codes = qr::decode_frame(&luma, width, height, row_stride).map_err(|e| {
        tracing::error!(error = %e, "the shell handed in an invalid frame");
        FrameError::InvalidFrame {
            reason: e.to_string(),
        }
    })?;
    Ok(codes.into_iter().map(DecodedCode::from).collect())
}

/// Why a scanned code is not opened as a building sticker. Each `reason` is ready to show.
#[derive(Debug, thiserror::Error, uniffi::Error)]
pub enum StickerScanError {
    /// Some other QR code (a bill, a shop's link): not a building sticker.
    #[error("{reason}")]
    NotASticker {
        /// Message for the resident.
        reason: String,
    },
    /// A link to another site or over plain http; the app does not open it.
    #[error("{reason}")]
    OtherHost {
        /// Message for the resident.
        reason: String,
    },
    /// Signed by a key this app does not trust (retired, or from elsewhere).
    #[error("{reason}")]
    UnknownKey {
        /// The key id, 4 hex digits.
        key_id: String,
        /// Message for the resident.
        reason: String,
    },
    /// A newer sticker format: the app needs an update.
    #[error("{reason}")]
    UpdateApp {
        /// Message for the resident.
        reason: String,
    },
    /// Damaged, altered or forged: the signature or the content does not hold.
    #[error("{reason}")]
    ForgedSticker {
        /// Message for the resident.
        reason: String,
    },
}

impl From<StickerError> for StickerScanError {
    fn from(error: StickerError) -> Self {
        // Every refusal is an expected outcome of pointing a camera at the world, not a bug.
        tracing::info!(%error, "sticker refused");
        let reason = error.to_string();
        match error {
            StickerError::NotStickerUrl => StickerScanError::NotASticker { reason },
            StickerError::InsecureUrl | StickerError::OtherHost(_) => {
                StickerScanError::OtherHost { reason }
            }
            StickerError::UnknownKey(key) => StickerScanError::UnknownKey {
                key_id: key.to_string(),
                reason,
            },
            StickerError::WrongVersion(_) => StickerScanError::UpdateApp { reason },
            StickerError::Oversized
            | StickerError::MalformedToken
            | StickerError::Truncated
            | StickerError::BadSignature
            | StickerError::MalformedField(_) => StickerScanError::ForgedSticker { reason },
        }
    }
}

#[uniffi::export]
impl ConnectApp {
    /// Verifies a scanned building sticker offline against the trusted keys and the server's
    /// host. It names a building; it never links an account.
    pub fn verify_sticker(&self, url_or_text: String) -> Result<StickerClaims, StickerScanError> {
        Ok(self.core().verify_sticker(&url_or_text)?)
    }
}
