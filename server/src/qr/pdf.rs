//! A minimal PDF 1.7 writer for the sticker sheet: vector rectangles for QR modules, dashed cut
//! lines, and text in an embedded TrueType font (a `Type0` font with `Identity-H` encoding over a
//! `CIDFontType2`, glyph widths in `W`, and a `ToUnicode` map so the addresses can be searched and
//! extracted). Streams are Flate-compressed; the cross-reference table carries each object's
//! byte offset.
//!
//! Why a TrueType font: the 14 base fonts (Helvetica…) only cover WinAnsi, and addresses are
//! Cyrillic. The font is read from a file (default DejaVu Sans from Debian's `fonts-dejavu-core`,
//! `--font` to choose another) and embedded as a subset: only the outlines of the glyphs the sheet
//! uses (`subset.rs`; glyph ids unchanged), under a tagged name (`ABCDEF+DejaVuSans`) as PDF
//! requires for subsets. A font the subsetter does not understand is embedded whole.

use std::{collections::BTreeMap, io::Write as _, path::Path};

use flate2::{Compression, write::ZlibEncoder};
use ttf_parser::{Face, GlyphId};

use super::{
    render::QUIET_ZONE,
    sheet::{Item, Measure, PAGE_H, PAGE_W},
};

/// Where Debian's `fonts-dejavu-core` puts DejaVu Sans.
pub const DEFAULT_FONT: &str = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf";

/// Why a PDF could not be written.
#[derive(Debug, thiserror::Error)]
pub enum PdfError {
    /// The font file could not be read.
    #[error("reading the font {path}: {source} (install fonts-dejavu-core or pass --font)")]
    ReadFont {
        /// The file.
        path: String,
        /// Why.
        source: std::io::Error,
    },
    /// The file is not a TrueType font ttf-parser can read.
    #[error("{0} is not a usable TrueType font")]
    BadFont(String),
    /// The font has no outlines in the `glyf` table (e.g. CFF-flavoured OpenType).
    #[error("{0} has no TrueType outlines; choose a .ttf font")]
    NotTrueType(String),
    /// Compression failed.
    #[error("compressing a stream: {0}")]
    Compress(#[from] std::io::Error),
}

/// A TrueType font to embed.
pub struct Font {
    data: Vec<u8>,
    name: String,
}

impl std::fmt::Debug for Font {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Font")
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

impl Font {
    /// Reads and checks a `.ttf` file.
    pub fn load(path: &Path) -> Result<Self, PdfError> {
        let shown = path.display().to_string();
        let data = std::fs::read(path).map_err(|source| PdfError::ReadFont {
            path: shown.clone(),
            source,
        })?;
        Self::from_bytes(data, &shown)
    }

    /// Checks font bytes (`label` names them in errors).
    pub fn from_bytes(data: Vec<u8>, label: &str) -> Result<Self, PdfError> {
        let face = Face::parse(&data, 0).map_err(|_| PdfError::BadFont(label.to_owned()))?;
        if face.tables().glyf.is_none() {
            return Err(PdfError::NotTrueType(label.to_owned()));
        }
        let name = face
            .names()
            .into_iter()
            .filter(|n| n.name_id == ttf_parser::name_id::POST_SCRIPT_NAME)
            .find_map(|n| n.to_string())
            .map(|n| {
                n.chars()
                    .filter(|c| c.is_ascii_alphanumeric() || *c == '-')
                    .collect::<String>()
            })
            .filter(|n| !n.is_empty())
            .unwrap_or_else(|| "EmbeddedFont".to_owned());
        Ok(Font { data, name })
    }

    fn face(&self) -> Option<Face<'_>> {
        Face::parse(&self.data, 0).ok()
    }
}

/// Glyph id and advance (in 1/1000 em) of each character, as the font has them.
fn glyphs(face: &Face<'_>, text: &str) -> Vec<(char, u16, f64)> {
    let upem = f64::from(face.units_per_em().max(1));
    text.chars()
        .map(|c| {
            // A character the font lacks prints as .notdef (glyph 0), still measured.
            let gid = face.glyph_index(c).unwrap_or(GlyphId(0));
            let adv = face.glyph_hor_advance(gid).unwrap_or(0);
            (c, gid.0, f64::from(adv) * 1000.0 / upem)
        })
        .collect()
}

impl Measure for Font {
    fn width(&self, text: &str, size: f64) -> f64 {
        match self.face() {
            Some(face) => glyphs(&face, text).iter().map(|g| g.2).sum::<f64>() * size / 1000.0,
            None => 0.0,
        }
    }
}

fn num(v: f64) -> String {
    let s = format!("{v:.3}");
    s.trim_end_matches('0').trim_end_matches('.').to_owned()
}

fn deflate(bytes: &[u8]) -> Result<Vec<u8>, PdfError> {
    let mut z = ZlibEncoder::new(Vec::new(), Compression::best());
    z.write_all(bytes)?;
    Ok(z.finish()?)
}

struct Writer {
    out: Vec<u8>,
    offsets: Vec<usize>,
}

impl Writer {
    fn object(&mut self, id: usize, body: &str) {
        self.start(id);
        self.out.extend_from_slice(body.as_bytes());
        self.out.extend_from_slice(b"\nendobj\n");
    }

    fn stream(&mut self, id: usize, dict: &str, data: &[u8]) {
        self.start(id);
        self.out.extend_from_slice(
            format!(
                "<< {dict} /Length {} /Filter /FlateDecode >>\nstream\n",
                data.len()
            )
            .as_bytes(),
        );
        self.out.extend_from_slice(data);
        self.out.extend_from_slice(b"\nendstream\nendobj\n");
    }

    fn start(&mut self, id: usize) {
        if self.offsets.len() <= id {
            self.offsets.resize(id + 1, 0);
        }
        self.offsets[id] = self.out.len();
        self.out
            .extend_from_slice(format!("{id} 0 obj\n").as_bytes());
    }
}

/// Draws the pages into a PDF document with `font` embedded.
pub fn write_pdf(pages: &[Vec<Item>], font: &Font) -> Result<Vec<u8>, PdfError> {
    let face = font
        .face()
        .ok_or_else(|| PdfError::BadFont(font.name.clone()))?;
    let upem = f64::from(face.units_per_em().max(1));
    let scale = |v: i16| (f64::from(v) * 1000.0 / upem).round();
    let mut used: BTreeMap<u16, (char, f64)> = BTreeMap::new();
    let mut contents = Vec::with_capacity(pages.len());
    for items in pages {
        let mut c = String::new();
        for item in items {
            match item {
                Item::Cut { x1, y1, x2, y2 } => c.push_str(&format!(
                    "q 0.73 G 0.5 w [3 3] 0 d {} {} m {} {} l S Q\n",
                    num(*x1),
                    num(PAGE_H - y1),
                    num(*x2),
                    num(PAGE_H - y2)
                )),
                Item::Qr {
                    x,
                    y,
                    module,
                    modules,
                } => {
                    c.push_str("q 0 g\n");
                    let q = QUIET_ZONE as f64;
                    for (rx, ry, n) in modules.runs() {
                        let left = x + (q + rx as f64) * module;
                        let bottom = PAGE_H - (y + (q + ry as f64 + 1.0) * module);
                        c.push_str(&format!(
                            "{} {} {} {} re\n",
                            num(left),
                            num(bottom),
                            num(n as f64 * module),
                            num(*module)
                        ));
                    }
                    c.push_str("f Q\n");
                }
                Item::Text {
                    cx,
                    baseline,
                    size,
                    bold,
                    text,
                } => {
                    let g = glyphs(&face, text);
                    let width: f64 = g.iter().map(|g| g.2).sum::<f64>() * size / 1000.0;
                    let mut hex = String::with_capacity(g.len() * 4);
                    for (ch, gid, adv) in &g {
                        hex.push_str(&format!("{gid:04X}"));
                        used.entry(*gid).or_insert((*ch, *adv));
                    }
                    // Bold: fill and stroke the outlines with a thin line (the font has one weight).
                    let mode = if *bold { "2 Tr 0.35 w 0 G" } else { "0 Tr" };
                    c.push_str(&format!(
                        "BT 0 g {mode} /F1 {} Tf {} {} Td <{hex}> Tj ET\n",
                        num(*size),
                        num(cx - width / 2.0),
                        num(PAGE_H - baseline)
                    ));
                }
            }
        }
        contents.push(deflate(c.as_bytes())?);
    }

    // Objects: 1 catalog, 2 pages, 3 Type0 font, 4 CIDFont, 5 descriptor, 6 ToUnicode,
    // 7 font file, 8 info, then page i at 9 + 2i and its content at 10 + 2i.
    let mut w = Writer {
        out: b"%PDF-1.7\n%\xE2\xE3\xCF\xD3\n".to_vec(),
        offsets: vec![0],
    };
    let page_ids: Vec<usize> = (0..pages.len()).map(|i| 9 + 2 * i).collect();
    w.object(1, "<< /Type /Catalog /Pages 2 0 R >>");
    let kids: Vec<String> = page_ids.iter().map(|id| format!("{id} 0 R")).collect();
    w.object(
        2,
        &format!(
            "<< /Type /Pages /Kids [{}] /Count {} >>",
            kids.join(" "),
            pages.len()
        ),
    );
    // Subset: outlines of the used glyphs only, named with a tag derived from the glyph set.
    let (font_file, name) = match super::subset::keep_glyphs(&font.data, used.keys().copied()) {
        Some(sub) => {
            let mut h: u32 = 0x811c_9dc5;
            for gid in used.keys() {
                for b in gid.to_be_bytes() {
                    h = (h ^ u32::from(b)).wrapping_mul(0x0100_0193);
                }
            }
            let tag: String = (0..6)
                .map(|i| char::from(b'A' + ((h >> (i * 5)) % 26) as u8))
                .collect();
            (sub, format!("{tag}+{}", font.name))
        }
        None => (font.data.clone(), font.name.clone()),
    };
    let name = &name;
    w.object(
        3,
        &format!(
            "<< /Type /Font /Subtype /Type0 /BaseFont /{name} /Encoding /Identity-H \
             /DescendantFonts [4 0 R] /ToUnicode 6 0 R >>"
        ),
    );
    let widths: Vec<String> = used
        .iter()
        .map(|(gid, (_, adv))| format!("{gid} [{}]", num(adv.round())))
        .collect();
    w.object(
        4,
        &format!(
            "<< /Type /Font /Subtype /CIDFontType2 /BaseFont /{name} \
             /CIDSystemInfo << /Registry (Adobe) /Ordering (Identity) /Supplement 0 >> \
             /FontDescriptor 5 0 R /DW 1000 /W [{}] /CIDToGIDMap /Identity >>",
            widths.join(" ")
        ),
    );
    let bbox = face.global_bounding_box();
    w.object(
        5,
        &format!(
            "<< /Type /FontDescriptor /FontName /{name} /Flags 32 /FontBBox [{} {} {} {}] \
             /ItalicAngle 0 /Ascent {} /Descent {} /CapHeight {} /StemV 80 /FontFile2 7 0 R >>",
            scale(bbox.x_min),
            scale(bbox.y_min),
            scale(bbox.x_max),
            scale(bbox.y_max),
            scale(face.ascender()),
            scale(face.descender()),
            scale(face.capital_height().unwrap_or(face.ascender()))
        ),
    );
    w.stream(6, "", &deflate(to_unicode(&used).as_bytes())?);
    w.stream(
        7,
        &format!("/Length1 {}", font_file.len()),
        &deflate(&font_file)?,
    );
    w.object(
        8,
        "<< /Title (CommunityConnect building stickers) /Producer (connect-server) >>",
    );
    for (i, content) in contents.iter().enumerate() {
        let page = page_ids[i];
        w.object(
            page,
            &format!(
                "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 {} {}] \
                 /Resources << /Font << /F1 3 0 R >> >> /Contents {} 0 R >>",
                num(PAGE_W),
                num(PAGE_H),
                page + 1
            ),
        );
        w.stream(page + 1, "", content);
    }
    let xref_at = w.out.len();
    let size = w.offsets.len();
    let mut xref = format!("xref\n0 {size}\n0000000000 65535 f \n");
    for off in &w.offsets[1..] {
        xref.push_str(&format!("{off:010} 00000 n \n"));
    }
    xref.push_str(&format!(
        "trailer\n<< /Size {size} /Root 1 0 R /Info 8 0 R >>\nstartxref\n{xref_at}\n%%EOF\n"
    ));
    w.out.extend_from_slice(xref.as_bytes());
    Ok(w.out)
}

/// The `ToUnicode` CMap: glyph id → the character it was drawn for.
fn to_unicode(used: &BTreeMap<u16, (char, f64)>) -> String {
    let mut s = String::from(
        "/CIDInit /ProcSet findresource begin\n12 dict begin\nbegincmap\n\
         /CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def\n\
         /CMapName /Adobe-Identity-UCS def\n/CMapType 2 def\n\
         1 begincodespacerange\n<0000> <FFFF>\nendcodespacerange\n",
    );
    let entries: Vec<(u16, char)> = used
        .iter()
        .filter(|(gid, _)| **gid != 0)
        .map(|(gid, (ch, _))| (*gid, *ch))
        .collect();
    for block in entries.chunks(100) {
        s.push_str(&format!("{} beginbfchar\n", block.len()));
        for (gid, ch) in block {
            let mut units = [0u16; 2];
            let hex: String = ch
                .encode_utf16(&mut units)
                .iter()
                .map(|u| format!("{u:04X}"))
                .collect();
            s.push_str(&format!("<{gid:04X}> <{hex}>\n"));
        }
        s.push_str("endbfchar\n");
    }
    s.push_str("endcmap\nCMapName currentdict /CMap defineresource pop\nend\nend\n");
    s
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::super::sheet::{SheetInput, Sticker, layout};

    #[test]
    fn a_two_page_sheet_embeds_a_small_tagged_font_subset() {
        let Ok(font) = super::Font::load(std::path::Path::new(super::DEFAULT_FONT)) else {
            println!(
                "SKIP: {} not installed (fonts-dejavu-core)",
                super::DEFAULT_FONT
            );
            return;
        };
        let input = SheetInput {
            company_name: "ООО «УК Северная»".into(),
            stickers: (0..7)
                .map(|i| Sticker {
                    url: format!("https://connect.example/p/token{i}"),
                    address: format!("Вологда, ул. Йошкар-Олинская, д. {i}, корп. 2"),
                })
                .collect(),
        };
        let pages = layout(&input, &font).unwrap();
        let pdf = super::write_pdf(&pages, &font).unwrap();
        // 2026-11-24: 31 KB; the whole DejaVu Sans made it about 350 KB.
        assert!(pdf.len() < 60_000, "{} bytes", pdf.len());
        let raw = String::from_utf8_lossy(&pdf);
        assert!(
            raw.contains("+DejaVuSans /Encoding /Identity-H"),
            "no subset tag"
        );
    }
}
