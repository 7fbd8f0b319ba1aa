//! A voucher token drawn as a QR code, once, for every shell: the module matrix (Compose/SwiftUI
//! draw it on a canvas), an SVG, terminal half-blocks for the CLI, and a grey image for PNG files
//! and decoder tests. Error correction level M: a phone screen under a till's scanner is clean
//! but may be scratched or dimmed.

use qrcode::{Color, EcLevel, QrCode, types::QrError};

/// Modules of light margin the QR standard asks for around the code.
pub const QUIET_ZONE: u32 = 4;

/// The QR code of a text: `size × size` modules, row-major, `true` = dark. No quiet zone: the
/// renderers add it.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "ffi", derive(uniffi::Record))]
pub struct QrMatrix {
    /// Modules per side.
    pub size: u32,
    /// `size * size` modules, row after row; `true` is dark.
    pub dark: Vec<bool>,
}

impl QrMatrix {
    /// Encodes `text` (a voucher token is ~100 characters: a version 5–6 code).
    pub fn encode(text: &str) -> Result<QrMatrix, QrError> {
        let code = QrCode::with_error_correction_level(text.as_bytes(), EcLevel::M)?;
        let size = u32::try_from(code.width()).map_err(|_| QrError::DataTooLong)?;
        let dark = code
            .to_colors()
            .into_iter()
            .map(|c| c == Color::Dark)
            .collect();
        Ok(QrMatrix { size, dark })
    }

    /// Whether the module at (x, y) is dark; outside the code (the quiet zone) is light.
    pub fn is_dark(&self, x: i64, y: i64) -> bool {
        let size = i64::from(self.size);
        if x < 0 || y < 0 || x >= size || y >= size {
            return false;
        }
        self.dark
            .get(usize::try_from(y * size + x).unwrap_or(usize::MAX))
            .copied()
            .unwrap_or(false)
    }

    /// An SVG of the code with its quiet zone, one unit per module (scale it freely).
    pub fn to_svg(&self) -> String {
        let side = self.size + 2 * QUIET_ZONE;
        let mut path = String::new();
        for y in 0..self.size {
            for x in 0..self.size {
                if self.is_dark(i64::from(x), i64::from(y)) {
                    path.push_str(&format!("M{} {}h1v1h-1z", x + QUIET_ZONE, y + QUIET_ZONE));
                }
            }
        }
        format!(
            "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {side} {side}\" \
             shape-rendering=\"crispEdges\">\
             <rect width=\"{side}\" height=\"{side}\" fill=\"#fff\"/>\
             <path d=\"{path}\" fill=\"#000\"/></svg>"
        )
    }

    /// Terminal text, two module rows per line in half blocks, with a 2-module quiet zone. Dark
    /// modules are spaces on light blocks, so a phone camera reads it from a dark terminal.
    pub fn to_terminal(&self) -> String {
        let quiet = 2i64;
        let size = i64::from(self.size);
        let mut out = String::new();
        let mut y = -quiet;
        while y < size + quiet {
            for x in -quiet..size + quiet {
                out.push(match (self.is_dark(x, y), self.is_dark(x, y + 1)) {
                    (false, false) => '█',
                    (false, true) => '▀',
                    (true, false) => '▄',
                    (true, true) => ' ',
                });
            }
            out.push('\n');
            y += 2;
        }
        out
    }

    /// A grey image of the code with its quiet zone, `scale` pixels per module: width, height
    /// and row-major luma bytes (black on white), ready for PNG encoding or a decoder.
    pub fn to_luma(&self, scale: u32) -> (u32, u32, Vec<u8>) {
        let scale = scale.max(1);
        let side = (self.size + 2 * QUIET_ZONE) * scale;
        let mut pixels = Vec::with_capacity((side as usize) * (side as usize));
        for py in 0..side {
            for px in 0..side {
                let x = i64::from(px / scale) - i64::from(QUIET_ZONE);
                let y = i64::from(py / scale) - i64::from(QUIET_ZONE);
                pixels.push(if self.is_dark(x, y) { 0 } else { 255 });
            }
        }
        (side, side, pixels)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn the_image_of_a_matrix_decodes_back_to_its_text() {
        let text = "VAQBAZBJc2VjcmV0LXZvdWNoZXItdG9rZW4tZm9yLXRlc3RpbmctdGhlLXJlbmRlcmVy";
        let m = QrMatrix::encode(text).unwrap();
        assert_eq!(m.dark.len(), (m.size * m.size) as usize);
        let (w, h, luma) = m.to_luma(4);
        let codes = crate::qr::decode_frame(&luma, w, h, w).unwrap();
        assert_eq!(
            codes.iter().map(|c| c.text.as_str()).collect::<Vec<_>>(),
            [text]
        );
    }

    #[test]
    fn svg_and_terminal_draw_every_dark_module_with_the_quiet_zone() {
        let m = QrMatrix::encode("hello").unwrap();
        let svg = m.to_svg();
        let dark = m.dark.iter().filter(|d| **d).count();
        assert_eq!(svg.matches("h1v1h-1z").count(), dark);
        let side = m.size + 2 * QUIET_ZONE;
        assert!(svg.contains(&format!("viewBox=\"0 0 {side} {side}\"")));
        let text = m.to_terminal();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len() as u32, (m.size + 4).div_ceil(2));
        assert!(lines.iter().all(|l| l.chars().count() as u32 == m.size + 4));
        // The quiet zone's first line is all light.
        assert!(lines[0].chars().all(|c| c == '█'));
    }
}
