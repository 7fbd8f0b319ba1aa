//! The printable sticker sheet of `connect-server stickers --company ID --out FILE.pdf|.svg`: one
//! sticker per building the company manages, each a QR code of the building's signed sticker URL
//! with the address under it, the company's name and a "scan with your phone camera" line.
//!
//! [`layout`] places everything on A4 pages (2 × 3 stickers, dashed cut lines) in points, y down;
//! [`to_svg`] writes hand-written SVG (pages stacked on one long sheet) and [`super::pdf`] a PDF
//! with an embedded TrueType font (addresses are Cyrillic, which the PDF base fonts cannot draw).

use chrono::NaiveDate;
use connect_core::{ids::CompanyId, qr::StickerError};
use qrcode::EcLevel;

use super::{
    StickerKeys,
    render::{Modules, QUIET_ZONE, escape},
};
use crate::store::{Store, StoreError};

/// A4 width in points.
pub const PAGE_W: f64 = 595.276;
/// A4 height in points.
pub const PAGE_H: f64 = 841.89;
/// Stickers across a page.
pub const COLS: usize = 2;
/// Stickers down a page.
pub const ROWS: usize = 3;
/// The line under each code.
pub const SCAN_HINT: &str = "Наведите камеру телефона на код — откроется страница дома";
/// Side of a QR code with its quiet zone, in points (about 58 mm).
const QR_SIDE: f64 = 165.0;
const ADDRESS_SIZE: f64 = 12.0;
const COMPANY_SIZE: f64 = 9.5;
const HINT_SIZE: f64 = 7.5;

/// One sticker to print.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sticker {
    /// The signed sticker URL the code carries.
    pub url: String,
    /// The building's address, printed under the code.
    pub address: String,
}

/// Everything on a company's sheet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SheetInput {
    /// The managing company's name, printed on every sticker.
    pub company_name: String,
    /// One per building, by address.
    pub stickers: Vec<Sticker>,
}

/// Why a sheet could not be made.
#[derive(Debug, thiserror::Error)]
pub enum SheetError {
    /// No company with this id.
    #[error("no company with id {0:?}")]
    UnknownCompany(String),
    /// The company manages no building.
    #[error("company {0:?} manages no building")]
    NoBuildings(String),
    /// Reading the store failed.
    #[error("reading the store: {0}")]
    Store(#[from] StoreError),
    /// A sticker could not be signed.
    #[error("signing a sticker: {0}")]
    Sign(#[from] StickerError),
    /// A URL does not fit in a QR code.
    #[error("encoding a QR code: {0}")]
    Qr(#[from] qrcode::types::QrError),
}

/// Signs a sticker for every building the company manages (issue date `today`).
pub async fn collect(
    store: &dyn Store,
    keys: &StickerKeys,
    company: &CompanyId,
    today: NaiveDate,
) -> Result<SheetInput, SheetError> {
    let co = store
        .company(company.clone())
        .await?
        .ok_or_else(|| SheetError::UnknownCompany(company.0.clone()))?;
    let buildings = store.company_buildings(company.clone()).await?;
    if buildings.is_empty() {
        return Err(SheetError::NoBuildings(company.0.clone()));
    }
    let stickers = buildings
        .into_iter()
        .map(|b| {
            Ok(Sticker {
                url: keys.url(&b.id, today)?,
                address: b.address,
            })
        })
        .collect::<Result<_, SheetError>>()?;
    Ok(SheetInput {
        company_name: co.name,
        stickers,
    })
}

/// Text widths in points.
pub trait Measure {
    /// Width of `text` set at `size` points.
    fn width(&self, text: &str, size: f64) -> f64;
}

/// A measure for when no font file is at hand (SVG): a generous average glyph width.
#[derive(Debug, Clone, Copy)]
pub struct ApproxMeasure;

impl Measure for ApproxMeasure {
    fn width(&self, text: &str, size: f64) -> f64 {
        text.chars().count() as f64 * size * 0.6
    }
}

/// One thing drawn on a page; coordinates in points from the page's top-left corner.
#[derive(Debug, Clone, PartialEq)]
pub enum Item {
    /// A QR code: its quiet zone's top-left corner and the size of one module.
    Qr {
        /// Left edge of the quiet zone.
        x: f64,
        /// Top edge of the quiet zone.
        y: f64,
        /// Side of one module.
        module: f64,
        /// The modules.
        modules: Modules,
    },
    /// One line of text centred on `cx`, `baseline` from the top.
    Text {
        /// Horizontal centre.
        cx: f64,
        /// Baseline.
        baseline: f64,
        /// Size in points.
        size: f64,
        /// Bold-ish emphasis (drawn with a stroke in PDF, `font-weight` in SVG).
        bold: bool,
        /// The text.
        text: String,
    },
    /// A dashed cut line.
    Cut {
        /// Start x.
        x1: f64,
        /// Start y.
        y1: f64,
        /// End x.
        x2: f64,
        /// End y.
        y2: f64,
    },
}

/// Breaks `text` into lines no wider than `max` (words longer than a line are split).
pub fn wrap(text: &str, size: f64, max: f64, m: &dyn Measure) -> Vec<String> {
    let mut lines = Vec::new();
    let mut line = String::new();
    for word in text.split_whitespace() {
        let candidate = if line.is_empty() {
            word.to_owned()
        } else {
            format!("{line} {word}")
        };
        if m.width(&candidate, size) <= max {
            line = candidate;
            continue;
        }
        if !line.is_empty() {
            lines.push(std::mem::take(&mut line));
        }
        // The word alone may still be too long: cut it.
        let mut piece = String::new();
        for ch in word.chars() {
            piece.push(ch);
            if m.width(&piece, size) > max && piece.chars().count() > 1 {
                piece.pop();
                lines.push(std::mem::take(&mut piece));
                piece.push(ch);
            }
        }
        line = piece;
    }
    if !line.is_empty() {
        lines.push(line);
    }
    lines
}

/// Places the stickers on A4 pages, `COLS × ROWS` per page.
pub fn layout(input: &SheetInput, m: &dyn Measure) -> Result<Vec<Vec<Item>>, SheetError> {
    let cell_w = PAGE_W / COLS as f64;
    let cell_h = PAGE_H / ROWS as f64;
    let per_page = COLS * ROWS;
    let mut pages = Vec::new();
    for chunk in input.stickers.chunks(per_page) {
        let mut items = Vec::new();
        for col in 1..COLS {
            let x = cell_w * col as f64;
            items.push(Item::Cut {
                x1: x,
                y1: 0.0,
                x2: x,
                y2: PAGE_H,
            });
        }
        for row in 1..ROWS {
            let y = cell_h * row as f64;
            items.push(Item::Cut {
                x1: 0.0,
                y1: y,
                x2: PAGE_W,
                y2: y,
            });
        }
        for (i, sticker) in chunk.iter().enumerate() {
            let (col, row) = (i % COLS, i / COLS);
            let (left, top) = (cell_w * col as f64, cell_h * row as f64);
            let cx = left + cell_w / 2.0;
            // Level Q survives a quarter of the code being dirty or scratched.
            let modules = Modules::encode(&sticker.url, EcLevel::Q)?;
            let module = QR_SIDE / (modules.width + 2 * QUIET_ZONE) as f64;
            let qr_top = top + 14.0;
            items.push(Item::Qr {
                x: cx - QR_SIDE / 2.0,
                y: qr_top,
                module,
                modules,
            });
            let text_w = cell_w - 28.0;
            let mut baseline = qr_top + QR_SIDE + ADDRESS_SIZE + 2.0;
            for line in wrap(&sticker.address, ADDRESS_SIZE, text_w, m)
                .into_iter()
                .take(3)
            {
                items.push(Item::Text {
                    cx,
                    baseline,
                    size: ADDRESS_SIZE,
                    bold: true,
                    text: line,
                });
                baseline += ADDRESS_SIZE * 1.25;
            }
            baseline += 2.0;
            for line in wrap(&input.company_name, COMPANY_SIZE, text_w, m)
                .into_iter()
                .take(2)
            {
                items.push(Item::Text {
                    cx,
                    baseline,
                    size: COMPANY_SIZE,
                    bold: false,
                    text: line,
                });
                baseline += COMPANY_SIZE * 1.25;
            }
            baseline += 2.0;
            for line in wrap(SCAN_HINT, HINT_SIZE, text_w, m) {
                items.push(Item::Text {
                    cx,
                    baseline,
                    size: HINT_SIZE,
                    bold: false,
                    text: line,
                });
                baseline += HINT_SIZE * 1.25;
            }
        }
        pages.push(items);
    }
    Ok(pages)
}

fn num(v: f64) -> String {
    let s = format!("{v:.2}");
    s.trim_end_matches('0').trim_end_matches('.').to_owned()
}

/// The sheet as one SVG document: A4 pages stacked top to bottom, sizes in points.
pub fn to_svg(pages: &[Vec<Item>]) -> String {
    let height = PAGE_H * pages.len().max(1) as f64;
    let mut s = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\
         <svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.1\" width=\"210mm\" height=\"{}mm\" \
         viewBox=\"0 0 {} {}\" font-family=\"DejaVu Sans, Arial, sans-serif\">\n\
         <rect width=\"100%\" height=\"100%\" fill=\"#fff\"/>\n",
        num(297.0 * pages.len().max(1) as f64),
        num(PAGE_W),
        num(height)
    );
    for (p, items) in pages.iter().enumerate() {
        s.push_str(&format!(
            "<g class=\"page\" transform=\"translate(0 {})\">\n",
            num(PAGE_H * p as f64)
        ));
        for item in items {
            match item {
                Item::Qr {
                    x,
                    y,
                    module,
                    modules,
                } => {
                    let q = QUIET_ZONE as f64 * module;
                    s.push_str(&format!(
                        "<path class=\"qr\" shape-rendering=\"crispEdges\" fill=\"#000\" \
                         transform=\"translate({} {}) scale({})\" d=\"{}\"/>\n",
                        num(x + q),
                        num(y + q),
                        module,
                        modules.svg_path()
                    ));
                }
                Item::Text {
                    cx,
                    baseline,
                    size,
                    bold,
                    text,
                } => {
                    s.push_str(&format!(
                        "<text x=\"{}\" y=\"{}\" font-size=\"{}\" text-anchor=\"middle\"{}>{}</text>\n",
                        num(*cx),
                        num(*baseline),
                        num(*size),
                        if *bold { " font-weight=\"bold\"" } else { "" },
                        escape(text)
                    ));
                }
                Item::Cut { x1, y1, x2, y2 } => {
                    s.push_str(&format!(
                        "<line x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" stroke=\"#bbb\" \
                         stroke-width=\"0.5\" stroke-dasharray=\"3 3\"/>\n",
                        num(*x1),
                        num(*y1),
                        num(*x2),
                        num(*y2)
                    ));
                }
            }
        }
        s.push_str("</g>\n");
    }
    s.push_str("</svg>\n");
    s
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    fn input(n: usize) -> SheetInput {
        SheetInput {
            company_name: "ООО «УК Северная»".into(),
            stickers: (0..n)
                .map(|i| Sticker {
                    url: format!("https://connect.example/p/token{i}"),
                    address: format!("Вологда, ул. Длинная-Предлинная Набережная, д. {i}, корп. 2"),
                })
                .collect(),
        }
    }

    #[test]
    fn six_stickers_fill_a_page_and_the_seventh_starts_the_next() {
        let pages = layout(&input(7), &ApproxMeasure).unwrap();
        assert_eq!(pages.len(), 2);
        let codes = |p: &Vec<Item>| p.iter().filter(|i| matches!(i, Item::Qr { .. })).count();
        assert_eq!(codes(&pages[0]), 6);
        assert_eq!(codes(&pages[1]), 1);
    }

    #[test]
    fn every_line_fits_its_cell_and_stays_on_the_page() {
        let pages = layout(&input(6), &ApproxMeasure).unwrap();
        let cell_w = PAGE_W / COLS as f64;
        for item in &pages[0] {
            if let Item::Text {
                size,
                text,
                baseline,
                ..
            } = item
            {
                assert!(ApproxMeasure.width(text, *size) <= cell_w - 28.0, "{text}");
                assert!(*baseline < PAGE_H, "{text}");
            }
        }
        // The last row's text ends above the page's bottom edge with room to spare.
        let lowest = pages[0]
            .iter()
            .filter_map(|i| match i {
                Item::Text { baseline, .. } => Some(*baseline),
                _ => None,
            })
            .fold(0.0, f64::max);
        assert!(lowest < PAGE_H - 10.0, "{lowest}");
    }

    #[test]
    fn wrapping_keeps_every_word_and_splits_overlong_ones() {
        let text = "Вологда, ул. Ленина, д. 1 Ааааааааааааааааааааааааааааааааааааааааа";
        let lines = wrap(text, 10.0, 100.0, &ApproxMeasure);
        assert!(lines.len() > 2);
        assert_eq!(lines.concat().replace(' ', ""), text.replace(' ', ""));
        assert!(lines.iter().all(|l| ApproxMeasure.width(l, 10.0) <= 100.0));
    }
}
