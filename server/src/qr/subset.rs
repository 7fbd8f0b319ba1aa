//! TrueType subsetting for the sticker PDF: keeps every glyph id (the PDF addresses glyphs by id
//! through `CIDToGIDMap /Identity`) but empties the outlines of glyphs the sheet does not use
//! (composite glyphs keep their components), and keeps only the tables a PDF renderer reads for a
//! `CIDFontType2` (outlines, metrics, hinting, `cmap`, `OS/2`; `post` without glyph names) — no
//! layout tables (`GPOS`, `GSUB`, `kern`…), which the PDF's positioned text never uses. `glyf` and
//! `loca` are rewritten, table checksums and `head.checkSumAdjustment` recomputed. DejaVu Sans
//! goes from 742 KiB to about 60.

use std::collections::BTreeSet;

fn u16_at(d: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_be_bytes([*d.get(at)?, *d.get(at + 1)?]))
}

fn u32_at(d: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_be_bytes([
        *d.get(at)?,
        *d.get(at + 1)?,
        *d.get(at + 2)?,
        *d.get(at + 3)?,
    ]))
}

fn checksum(d: &[u8]) -> u32 {
    d.chunks(4).fold(0u32, |acc, c| {
        let mut w = [0u8; 4];
        w[..c.len()].copy_from_slice(c);
        acc.wrapping_add(u32::from_be_bytes(w))
    })
}

/// Tables kept; the rest are layout or metadata tables a PDF renderer does not read.
const KEEP_TABLES: [&[u8; 4]; 13] = [
    b"head", b"hhea", b"hmtx", b"maxp", b"loca", b"glyf", b"cvt ", b"fpgm", b"prep", b"gasp",
    b"cmap", b"OS/2", b"post",
];

/// A font whose unused glyphs have no outline; `None` when the font is not a TrueType font this
/// understands (the caller then embeds it whole).
pub fn keep_glyphs(font: &[u8], used: impl IntoIterator<Item = u16>) -> Option<Vec<u8>> {
    let version = u32_at(font, 0)?;
    if version != 0x0001_0000 && version != u32::from_be_bytes(*b"true") {
        return None;
    }
    let num_tables = usize::from(u16_at(font, 4)?);
    let mut tables: Vec<([u8; 4], &[u8])> = Vec::with_capacity(num_tables);
    for i in 0..num_tables {
        let rec = 12 + 16 * i;
        let tag: [u8; 4] = font.get(rec..rec + 4)?.try_into().ok()?;
        let off = u32_at(font, rec + 8)? as usize;
        let len = u32_at(font, rec + 12)? as usize;
        tables.push((tag, font.get(off..off.checked_add(len)?)?));
    }
    let table = |tag: &[u8; 4]| tables.iter().find(|t| &t.0 == tag).map(|t| t.1);
    let head = table(b"head")?;
    let glyf = table(b"glyf")?;
    let loca = table(b"loca")?;
    let num_glyphs = usize::from(u16_at(table(b"maxp")?, 4)?);
    let long = u16_at(head, 50)? == 1;
    let offset = |gid: usize| -> Option<usize> {
        if long {
            u32_at(loca, gid * 4).map(|v| v as usize)
        } else {
            u16_at(loca, gid * 2).map(|v| usize::from(v) * 2)
        }
    };
    let glyph = |gid: usize| -> Option<&[u8]> {
        let (a, b) = (offset(gid)?, offset(gid + 1)?);
        glyf.get(a..b.max(a))
    };

    // Used glyphs, .notdef, and (transitively) the components of composite glyphs.
    let mut keep: BTreeSet<usize> = used.into_iter().map(usize::from).collect();
    keep.insert(0);
    let mut todo: Vec<usize> = keep.iter().copied().collect();
    while let Some(gid) = todo.pop() {
        let Some(g) = glyph(gid) else { continue };
        if g.len() < 10 || u16_at(g, 0)? & 0x8000 == 0 {
            continue; // empty or simple glyph
        }
        let mut at = 10;
        loop {
            let flags = u16_at(g, at)?;
            let component = usize::from(u16_at(g, at + 2)?);
            if component < num_glyphs && keep.insert(component) {
                todo.push(component);
            }
            at += 4 + if flags & 0x0001 != 0 { 4 } else { 2 };
            if flags & 0x0008 != 0 {
                at += 2;
            } else if flags & 0x0040 != 0 {
                at += 4;
            } else if flags & 0x0080 != 0 {
                at += 8;
            }
            if flags & 0x0020 == 0 {
                break;
            }
        }
    }

    let mut new_glyf = Vec::new();
    let mut starts = Vec::with_capacity(num_glyphs + 1);
    for gid in 0..num_glyphs {
        starts.push(new_glyf.len());
        if keep.contains(&gid) {
            new_glyf.extend_from_slice(glyph(gid)?);
            while new_glyf.len() % 4 != 0 {
                new_glyf.push(0);
            }
        }
    }
    starts.push(new_glyf.len());
    // Short offsets (halved) when they fit: the subset's glyf is small.
    let short = new_glyf.len() / 2 <= usize::from(u16::MAX);
    let mut new_loca = Vec::with_capacity(starts.len() * 4);
    for &o in &starts {
        if short {
            new_loca.extend_from_slice(&((o / 2) as u16).to_be_bytes());
        } else {
            new_loca.extend_from_slice(&(o as u32).to_be_bytes());
        }
    }
    let mut new_head = head.to_vec();
    new_head.get_mut(8..12)?.copy_from_slice(&[0; 4]); // checkSumAdjustment, set last
    new_head
        .get_mut(50..52)?
        .copy_from_slice(&u16::from(!short).to_be_bytes());
    // post version 3: the same header, no glyph names.
    let new_post = table(b"post").and_then(|p| p.get(..32)).map(|p| {
        let mut p = p.to_vec();
        p[..4].copy_from_slice(&0x0003_0000u32.to_be_bytes());
        p
    });

    let out_tables: Vec<([u8; 4], Vec<u8>)> = tables
        .iter()
        .filter(|(tag, _)| KEEP_TABLES.contains(&tag))
        .filter_map(|(tag, data)| {
            let data = match tag {
                b"glyf" => new_glyf.clone(),
                b"loca" => new_loca.clone(),
                b"head" => new_head.clone(),
                b"post" => new_post.clone()?,
                _ => data.to_vec(),
            };
            Some((*tag, data))
        })
        .collect();
    let n = out_tables.len();
    let mut out = Vec::with_capacity(12 + 16 * n + new_glyf.len() + 65_536);
    out.extend_from_slice(&version.to_be_bytes());
    out.extend_from_slice(&(n as u16).to_be_bytes());
    let pow = 1u16 << (15 - (n as u16).leading_zeros());
    out.extend_from_slice(&(pow * 16).to_be_bytes()); // searchRange
    out.extend_from_slice(&(pow.trailing_zeros() as u16).to_be_bytes()); // entrySelector
    out.extend_from_slice(&((n as u16) * 16 - pow * 16).to_be_bytes()); // rangeShift
    let mut at = 12 + 16 * n;
    let mut head_at = None;
    for (tag, data) in &out_tables {
        out.extend_from_slice(tag);
        out.extend_from_slice(&checksum(data).to_be_bytes());
        out.extend_from_slice(&(at as u32).to_be_bytes());
        out.extend_from_slice(&(data.len() as u32).to_be_bytes());
        if tag == b"head" {
            head_at = Some(at);
        }
        at += data.len().div_ceil(4) * 4;
    }
    for (_, data) in &out_tables {
        out.extend_from_slice(data);
        while out.len() % 4 != 0 {
            out.push(0);
        }
    }
    let adjust = 0xB1B0_AFBAu32.wrapping_sub(checksum(&out));
    let head_at = head_at?;
    out.get_mut(head_at + 8..head_at + 12)?
        .copy_from_slice(&adjust.to_be_bytes());
    Some(out)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use ttf_parser::{Face, GlyphId, OutlineBuilder};

    #[derive(Default)]
    struct Path(Vec<String>);

    impl OutlineBuilder for Path {
        fn move_to(&mut self, x: f32, y: f32) {
            self.0.push(format!("M{x},{y}"));
        }
        fn line_to(&mut self, x: f32, y: f32) {
            self.0.push(format!("L{x},{y}"));
        }
        fn quad_to(&mut self, x1: f32, y1: f32, x: f32, y: f32) {
            self.0.push(format!("Q{x1},{y1},{x},{y}"));
        }
        fn curve_to(&mut self, x1: f32, y1: f32, x2: f32, y2: f32, x: f32, y: f32) {
            self.0.push(format!("C{x1},{y1},{x2},{y2},{x},{y}"));
        }
        fn close(&mut self) {
            self.0.push("Z".into());
        }
    }

    fn outline(face: &Face<'_>, gid: u16) -> Vec<String> {
        let mut p = Path::default();
        face.outline_glyph(GlyphId(gid), &mut p);
        p.0
    }

    #[test]
    fn used_glyphs_keep_their_outlines_and_the_rest_are_emptied() {
        let path = std::path::Path::new(super::super::pdf::DEFAULT_FONT);
        let Ok(data) = std::fs::read(path) else {
            println!("SKIP: {} not installed (fonts-dejavu-core)", path.display());
            return;
        };
        let face = Face::parse(&data, 0).unwrap();
        // An address with Cyrillic and a composite (Й is built from И and a breve in DejaVu).
        let text = "ул. Мира, д. 12, кв. 5 — Йошкар-Ола";
        let used: Vec<u16> = text
            .chars()
            .filter_map(|c| face.glyph_index(c))
            .map(|g| g.0)
            .collect();
        let sub = keep_glyphs(&data, used.iter().copied()).unwrap();
        assert!(
            sub.len() * 10 < data.len(),
            "{} → {} bytes",
            data.len(),
            sub.len()
        );
        let sface = Face::parse(&sub, 0).unwrap();
        assert_eq!(sface.number_of_glyphs(), face.number_of_glyphs());
        for &g in &used {
            assert!(!outline(&face, g).is_empty() || g == face.glyph_index(' ').unwrap().0);
            assert_eq!(outline(&sface, g), outline(&face, g), "glyph {g}");
        }
        let unused = face.glyph_index('Z').unwrap().0;
        assert!(!outline(&face, unused).is_empty());
        assert!(outline(&sface, unused).is_empty());
        // The whole-font checksum comes out as the spec's magic number.
        assert_eq!(checksum(&sub), 0xB1B0_AFBA);
    }

    #[test]
    fn not_a_truetype_font_is_refused() {
        assert!(keep_glyphs(b"OTTO\0\0\0\0", [1]).is_none());
        assert!(keep_glyphs(&[0, 1, 0, 0, 0, 9], [1]).is_none());
        assert!(keep_glyphs(&[], [1]).is_none());
    }
}
