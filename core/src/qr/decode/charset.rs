//! Text decoding of a QR payload by character set. Codes read by our own payload decoder carry
//! their ECI designators and Hanzi segments (see `payload.rs`); without a designator (and for codes
//! read by rqrr's decoder, which drops them) the charset is inferred: UTF-8 if valid, else
//! Shift_JIS if it decodes without errors, else ISO-8859-1 (the QR default).

/// The character set a payload's text was decoded with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "ffi", derive(uniffi::Enum))]
pub enum Charset {
    /// Valid UTF-8 (includes plain ASCII).
    Utf8,
    /// Shift_JIS (Kanji mode or Japanese byte mode).
    ShiftJis,
    /// ISO-8859-1, the QR default when nothing else fits.
    Latin1,
    /// GB2312/GBK/GB18030 (Hanzi mode, or ECI 29).
    Gbk,
    /// Another character set declared by an ECI designator (e.g. 22 = windows-1251).
    Eci {
        /// The ECI designator value.
        designator: u32,
    },
}

/// Decodes payload bytes to text with the UTF-8 → Shift_JIS → Latin-1 heuristic.
pub fn decode_text(bytes: &[u8]) -> (String, Charset) {
    if let Ok(s) = std::str::from_utf8(bytes) {
        return (s.to_owned(), Charset::Utf8);
    }
    let (text, had_errors) = encoding_rs::SHIFT_JIS.decode_without_bom_handling(bytes);
    if !had_errors {
        return (text.into_owned(), Charset::ShiftJis);
    }
    (
        bytes.iter().map(|&b| char::from(b)).collect(),
        Charset::Latin1,
    )
}
