//! QR codes as module matrices (qrcode crate) and as hand-written SVG, for the account code on a
//! bill and the stickers of a sheet.

use qrcode::{Color, EcLevel, QrCode, types::QrError};

/// Light modules around the code, as the QR standard asks.
pub const QUIET_ZONE: usize = 4;

/// A QR code's dark modules, row by row, without the quiet zone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Modules {
    /// Modules per side.
    pub width: usize,
    dark: Vec<bool>,
}

impl Modules {
    /// Encodes `text` at error-correction level `ec`.
    pub fn encode(text: &str, ec: EcLevel) -> Result<Self, QrError> {
        let code = QrCode::with_error_correction_level(text.as_bytes(), ec)?;
        let width = code.width();
        let dark = code
            .to_colors()
            .into_iter()
            .map(|c| c == Color::Dark)
            .collect();
        Ok(Modules { width, dark })
    }

    /// Whether module (x, y) is dark.
    pub fn is_dark(&self, x: usize, y: usize) -> bool {
        x < self.width && y < self.width && self.dark[y * self.width + x]
    }

    /// Runs of dark modules per row: `(x, y, length)`, so renderers draw one rectangle per run.
    pub fn runs(&self) -> Vec<(usize, usize, usize)> {
        let mut out = Vec::new();
        for y in 0..self.width {
            let mut x = 0;
            while x < self.width {
                if self.is_dark(x, y) {
                    let start = x;
                    while x < self.width && self.is_dark(x, y) {
                        x += 1;
                    }
                    out.push((start, y, x - start));
                } else {
                    x += 1;
                }
            }
        }
        out
    }

    /// An SVG path (`M x y h n v 1 h -n z` per run) of the dark modules in module units.
    pub fn svg_path(&self) -> String {
        let mut d = String::new();
        for (x, y, n) in self.runs() {
            d.push_str(&format!("M{x} {y}h{n}v1h-{n}z"));
        }
        d
    }
}

/// A standalone SVG of `text` as a QR code (level M) with its quiet zone, for bills.
pub fn code_svg(text: &str) -> Result<String, QrError> {
    let m = Modules::encode(text, EcLevel::M)?;
    let side = m.width + 2 * QUIET_ZONE;
    let q = QUIET_ZONE;
    Ok(format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {side} {side}\" \
         width=\"{mm}mm\" height=\"{mm}mm\" shape-rendering=\"crispEdges\">\
         <rect width=\"{side}\" height=\"{side}\" fill=\"#fff\"/>\
         <path transform=\"translate({q} {q})\" fill=\"#000\" d=\"{d}\"/></svg>",
        // 0.5 mm per module: a version-3 code is about 20 mm wide, easy for any phone.
        mm = side / 2,
        d = m.svg_path()
    ))
}

/// Escapes text for XML and HTML content and attribute values.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            // Control characters are not allowed in XML 1.0; nothing legitimate carries them.
            c if (c as u32) < 0x20 && !matches!(c, '\n' | '\t' | '\r') => {}
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn runs_cover_exactly_the_dark_modules() {
        let m = Modules::encode("CC1-TEST", EcLevel::M).unwrap();
        let mut painted = vec![false; m.width * m.width];
        for (x, y, n) in m.runs() {
            for i in x..x + n {
                assert!(!painted[y * m.width + i]);
                painted[y * m.width + i] = true;
            }
        }
        for y in 0..m.width {
            for x in 0..m.width {
                assert_eq!(painted[y * m.width + x], m.is_dark(x, y));
            }
        }
    }

    #[test]
    fn markup_characters_are_escaped() {
        assert_eq!(
            escape("<a href=\"x\">O'Neil & Co</a>\u{1}"),
            "&lt;a href=&quot;x&quot;&gt;O&#39;Neil &amp; Co&lt;/a&gt;"
        );
    }
}
