//! Error enums of the QR module. Sticker and account-code errors are human errors (style point 4):
//! each variant is an outcome the UI branches on, with a message ready to show.

use super::signing::KeyId;

/// Why a scanned sticker is not accepted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StickerError {
    /// The text is not a `https://<host>/p/<token>` URL.
    #[error("This code is not a CommunityConnect building sticker.")]
    NotStickerUrl,
    /// `http://` instead of `https://`.
    #[error("This sticker uses an insecure link (http); it is not a genuine sticker.")]
    InsecureUrl,
    /// A sticker URL pointing at another site.
    #[error("This code points to another site ({0}); it was not opened.")]
    OtherHost(String),
    /// The token is longer than any genuine one.
    #[error("This sticker's code is too long to be genuine.")]
    Oversized,
    /// The token is not base64url.
    #[error("This sticker's code is damaged or was altered.")]
    MalformedToken,
    /// The token is shorter than a signed sticker.
    #[error("This sticker's code is incomplete.")]
    Truncated,
    /// A format version this app does not know.
    #[error(
        "This sticker uses format version {0}, which this app does not know; please update the app."
    )]
    WrongVersion(u8),
    /// Signed by a key this app does not trust (retired or foreign).
    #[error("This sticker was signed with a key this app does not trust (key {0}).")]
    UnknownKey(KeyId),
    /// The signature does not match: forged or altered.
    #[error("This is not a genuine sticker: its signature does not match.")]
    BadSignature,
    /// Signed, but a field cannot be read (or cannot be encoded when signing).
    #[error("This sticker's {0} is malformed.")]
    MalformedField(&'static str),
}

/// Why a typed or scanned account code is not accepted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AccountCodeError {
    /// Does not start with `CC1-` (e.g. a building sticker).
    #[error("This is not an account code from your bill.")]
    NotAccountCode,
    /// A character outside the code alphabet.
    #[error("The code contains '{0}', which never appears in account codes; please check it.")]
    BadCharacter(char),
    /// Too few or too many characters.
    #[error("The code has the wrong number of characters; please check it.")]
    WrongLength,
    /// Far longer than any account code.
    #[error("This text is far too long to be an account code.")]
    TooLong,
    /// A typo: the checksum does not match.
    #[error("The code has a typo; please check it against your bill.")]
    ChecksumMismatch,
    /// The system random source failed while generating a code.
    #[error("No secure random numbers are available to generate a code.")]
    RandomUnavailable,
}

/// Key handling errors of the signed-token envelope.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SigningError {
    /// A key id is not 4 hex digits.
    #[error("key id {0:?} is not 4 hex digits")]
    KeyIdSyntax(String),
    /// A trust entry is not `KEYID:BASE64PUBKEY` with a 32-byte key.
    #[error("trust entry {0:?} is not KEYID:BASE64PUBKEY with a 32-byte Ed25519 key")]
    TrustEntrySyntax(String),
    /// ring refused the private key bytes.
    #[error("the private key is not a valid Ed25519 PKCS#8 document or seed")]
    PrivateKeyRejected,
    /// The system random source failed.
    #[error("no secure random numbers available")]
    RandomUnavailable,
}

/// Why a frame could not be searched at all (finding no code is `Ok(vec![])`, not an error).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    /// Width or height is zero.
    #[error("frame has zero width or height ({width}x{height})")]
    EmptyFrame {
        /// Frame width.
        width: u32,
        /// Frame height.
        height: u32,
    },
    /// The row stride is smaller than the width.
    #[error("row stride {row_stride} is smaller than width {width}")]
    StrideTooSmall {
        /// Frame width.
        width: u32,
        /// Row stride.
        row_stride: u32,
    },
    /// The luma buffer is shorter than stride × (height − 1) + width.
    #[error("luma buffer has {actual} bytes, the frame needs {needed}")]
    BufferTooSmall {
        /// Bytes needed.
        needed: usize,
        /// Bytes given.
        actual: usize,
    },
    /// Larger than any camera frame we accept (guards allocations).
    #[error("frame {width}x{height} is larger than the 64-megapixel limit")]
    FrameTooLarge {
        /// Frame width.
        width: u32,
        /// Frame height.
        height: u32,
    },
}
