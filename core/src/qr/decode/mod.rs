//! Camera-frame QR decoding: every code in a luma plane.
//!
//! A fast path first (`hybrid` block thresholds, `finder` zxing-style finder scan with perspective
//! fitted from the finder lines and the alignment pattern, `payload` decoding with ECI and Hanzi),
//! then, only when the fast path reads nothing or leaves a confirmed finder pattern unexplained,
//! rqrr's own detector over a scale pyramid with contrast normalisation and local-mean
//! binarisations, retried with other thresholds when a grid is found but does not decode. Codes are
//! deduplicated across attempts, corners are in frame pixels, and text is decoded by character set.
//! rqrr panics on some real images, so every call into it is guarded: a panic counts as "nothing
//! decoded by this attempt" and a frame never panics. See docs/ARCHITECTURE.md.

mod binarize;
mod charset;
mod finder;
mod hybrid;
mod payload;
mod pyramid;
#[cfg(test)]
mod tests;

use std::borrow::Cow;
use std::cell::OnceCell;
use std::panic::{AssertUnwindSafe, catch_unwind};

pub use charset::{Charset, decode_text};

use super::error::DecodeError;

/// Largest frame accepted (64 megapixels), so a bad width/height cannot trigger a huge allocation.
pub const MAX_FRAME_PIXELS: u64 = 64 * 1024 * 1024;

/// Long side (pixels) the first search level is downscaled to at most.
const SEARCH_LONG_SIDE: usize = 640;

/// One decoded QR code.
#[derive(Debug, Clone, PartialEq)]
pub struct DecodedCode {
    /// The payload as text (see [`DecodedCode::charset`]).
    pub text: String,
    /// The payload bytes after error correction.
    pub bytes: Vec<u8>,
    /// Corners in frame pixels: top-left, top-right, bottom-right, bottom-left of the code.
    pub corners: [(f32, f32); 4],
    /// How `text` was decoded from `bytes`.
    pub charset: Charset,
}

impl DecodedCode {
    /// Centre of the code in frame pixels.
    pub fn centre(&self) -> (f32, f32) {
        let (sx, sy) = self
            .corners
            .iter()
            .fold((0.0, 0.0), |(ax, ay), (x, y)| (ax + x, ay + y));
        (sx / 4.0, sy / 4.0)
    }
}

/// A contiguous 8-bit grey image.
#[derive(Clone)]
pub(crate) struct Gray {
    pub(crate) w: usize,
    pub(crate) h: usize,
    pub(crate) px: Vec<u8>,
}

/// Checks the frame geometry against the buffer; never panics.
fn validate(luma: &[u8], width: u32, height: u32, row_stride: u32) -> Result<(), DecodeError> {
    if width == 0 || height == 0 {
        return Err(DecodeError::EmptyFrame { width, height });
    }
    if row_stride < width {
        return Err(DecodeError::StrideTooSmall { width, row_stride });
    }
    if u64::from(width) * u64::from(height) > MAX_FRAME_PIXELS {
        return Err(DecodeError::FrameTooLarge { width, height });
    }
    let needed = u64::from(row_stride) * u64::from(height - 1) + u64::from(width);
    let needed =
        usize::try_from(needed).map_err(|_| DecodeError::FrameTooLarge { width, height })?;
    if luma.len() < needed {
        return Err(DecodeError::BufferTooSmall {
            needed,
            actual: luma.len(),
        });
    }
    Ok(())
}

/// Finds and decodes every QR code in a luma (Y) plane.
///
/// `row_stride` is the distance in bytes between row starts (≥ `width`). Finding nothing is
/// `Ok(vec![])`; errors only report a buffer that does not match its geometry.
pub fn decode_frame(
    luma: &[u8],
    width: u32,
    height: u32,
    row_stride: u32,
) -> Result<Vec<DecodedCode>, DecodeError> {
    validate(luma, width, height, row_stride)?;
    let (w, h, stride) = (width as usize, height as usize, row_stride as usize);
    let long = w.max(h);
    let factor = long.div_ceil(SEARCH_LONG_SIDE).max(1);
    let mut found = Found::default();

    // The frame without row padding, copied once, only if a rescaled pass needs it.
    let full_copy = OnceCell::new();
    let full = || {
        full_copy.get_or_init(|| {
            let mut px = Vec::with_capacity(w * h);
            for y in 0..h {
                px.extend_from_slice(&luma[y * stride..y * stride + w]);
            }
            Gray { w, h, px }
        })
    };

    // Fast path: block binarisation and a zxing-style finder scan at full resolution. When it
    // reads codes and leaves no confirmed finder pattern unexplained, the frame is done.
    if fast_pass(luma, w, h, stride, 1.0, &mut found) {
        return Ok(found.codes);
    }
    // Then once more at another scale: small frames upscaled (modules of 1–2 pixels), large
    // ones halved (blur and noise average out).
    if long <= 1024 {
        let up = pyramid::upscale2(full());
        if fast_pass(&up.px, up.w, up.h, up.w, 0.5, &mut found) {
            return Ok(found.codes);
        }
    } else if long >= 1600 {
        let down = pyramid::downscale(full(), 2);
        if fast_pass(&down.px, down.w, down.h, down.w, 2.0, &mut found) {
            return Ok(found.codes);
        }
    }

    // Level 0: the frame downscaled so its long side is at most SEARCH_LONG_SIDE.
    let base = if factor > 1 {
        Cow::Owned(pyramid::downscale(full(), factor))
    } else {
        Cow::Borrowed(full())
    };
    let done = search_level(&base, factor as f32, Effort::Full, &mut found);
    if factor > 1 {
        // Small codes in a big photo vanish when downscaled: search one finer level, fully when
        // some grid was left unread, else with rqrr's threshold only (codes beside the ones read).
        let f = factor / 2;
        let level = if f <= 1 {
            Cow::Borrowed(full())
        } else {
            Cow::Owned(pyramid::downscale(full(), f))
        };
        let effort = if done { Effort::Grey } else { Effort::Full };
        search_level(&level, f.max(1) as f32, effort, &mut found);
    } else if !done && long <= SEARCH_LONG_SIDE / 2 {
        // Small image: modules may be 1–2 pixels wide; upscaling helps the capstone scan.
        let up = pyramid::upscale2(&base);
        search_level(&up, 0.5, Effort::Quick, &mut found);
    }
    Ok(found.codes)
}

/// Only the fast path of [`decode_frame`] (no rqrr fallback): for the benchmark, which reports it
/// as its own row so the two paths can be compared.
#[doc(hidden)]
pub fn decode_frame_fast_path(
    luma: &[u8],
    width: u32,
    height: u32,
    row_stride: u32,
) -> Result<Vec<DecodedCode>, DecodeError> {
    validate(luma, width, height, row_stride)?;
    let mut found = Found::default();
    fast_pass(
        luma,
        width as usize,
        height as usize,
        row_stride as usize,
        1.0,
        &mut found,
    );
    Ok(found.codes)
}

/// Decodes one module grid (`size`×`size`, row-major, true = dark) with the payload decoder:
/// payload bytes, text and charset. For the fuzz target; frames go through [`decode_frame`].
#[doc(hidden)]
pub fn decode_module_grid(size: usize, dark: &[bool]) -> Option<(Vec<u8>, String, Charset)> {
    if dark.len() < size.checked_mul(size)? {
        return None;
    }
    let p = payload::decode_grid(size, &|r, c| dark[r * size + c])?;
    Some((p.bytes, p.text, p.charset))
}

/// Panics caught in the fast path since start (a bug if ever non-zero).
pub(crate) static FAST_PATH_PANICS: std::sync::atomic::AtomicUsize =
    std::sync::atomic::AtomicUsize::new(0);

/// Panics caught in the fast path since the process started (for the benchmark, which reports
/// them; a bug if ever non-zero).
#[doc(hidden)]
pub fn fast_path_panics() -> usize {
    FAST_PATH_PANICS.load(std::sync::atomic::Ordering::Relaxed)
}

/// Runs the fast path on one plane; true when it explains the whole frame (codes read and no
/// confirmed finder pattern left over). `scale` maps the plane's pixels to frame pixels (the plane
/// may be a rescaled copy).
fn fast_pass(
    luma: &[u8],
    w: usize,
    h: usize,
    stride: usize,
    scale: f32,
    found: &mut Found,
) -> bool {
    if w < 21 || h < 21 {
        return false;
    }
    let pass = catch_unwind(AssertUnwindSafe(|| {
        let mut bits = hybrid::binarize(luma, w, h, stride);
        let pass = finder::scan(&bits);
        if !pass.reads.is_empty() {
            return pass;
        }
        // Nothing dark-on-light: try light-on-dark (stickers printed inverted).
        bits.invert();
        let inverted = finder::scan(&bits);
        if inverted.reads.is_empty() {
            pass
        } else {
            inverted
        }
    }));
    let Ok(pass) = pass else {
        // Our own code, so a bug: counted (tests assert none) and logged, and the frame still
        // gets the rqrr path.
        FAST_PATH_PANICS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        tracing::warn!("fast QR path panicked on a {w}x{h} frame; falling back to rqrr");
        return false;
    };
    let read_any = !pass.reads.is_empty();
    for read in pass.reads {
        let p = read.payload;
        found.add(DecodedCode {
            text: p.text,
            bytes: p.bytes,
            charset: p.charset,
            corners: read.corners.map(|(x, y)| (x * scale, y * scale)),
        });
    }
    read_any && pass.unexplained == 0
}

#[derive(Default)]
struct Found {
    codes: Vec<DecodedCode>,
}

impl Found {
    /// Adds a code unless the same text was already found at the same place.
    fn add(&mut self, code: DecodedCode) {
        let (cx, cy) = code.centre();
        let size = side(&code.corners);
        let dup = self.codes.iter().any(|c| {
            let (x, y) = c.centre();
            c.bytes == code.bytes
                && ((x - cx).powi(2) + (y - cy).powi(2)).sqrt() < size.max(side(&c.corners)) * 0.5
        });
        if !dup {
            self.codes.push(code);
        }
    }
}

fn side(c: &[(f32, f32); 4]) -> f32 {
    ((c[0].0 - c[2].0).powi(2) + (c[0].1 - c[2].1).powi(2)).sqrt()
}

/// Outcome of one rqrr attempt.
#[derive(Default)]
struct Attempt {
    grids: usize,
    decoded: usize,
}

/// How many threshold variants a level gets.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Effort {
    /// All variants, and rqrr's own threshold.
    Full,
    /// rqrr's threshold and the first local-mean variant.
    Quick,
    /// rqrr's threshold only.
    Grey,
}

/// Runs the threshold variants on one level; true when the search can stop (codes found and every
/// grid seen decoded).
fn search_level(level: &Gray, scale: f32, effort: Effort, found: &mut Found) -> bool {
    if level.w < 21 || level.h < 21 {
        return false;
    }
    let mut img = level.clone();
    binarize::stretch_contrast(&mut img, 0.01, 0.01);
    let short = img.w.min(img.h);
    let variants: &[(usize, i32)] = match effort {
        Effort::Full => &[
            ((short / 12).max(4), 8),
            ((short / 5).max(8), 12),
            ((short / 40).max(3), 4),
        ],
        Effort::Quick => &[((short / 12).max(4), 8)],
        Effort::Grey => &[],
    };
    let before = found.codes.len();
    // rqrr's own row-average threshold first: cheapest, and enough for clean, evenly lit codes.
    let a = run_rqrr_grey(&img, scale, found);
    let mut unresolved = a.decoded < a.grids;
    if found.codes.len() > before && !unresolved {
        return true;
    }
    if variants.is_empty() {
        return found.codes.len() > before && !unresolved;
    }
    let integral = binarize::Integral::new(&img);
    for &(radius, offset) in variants {
        let dark = binarize::local_mean_threshold(&img, &integral, radius, offset);
        let a = run_rqrr_bitmap(&dark, img.w, img.h, scale, found);
        unresolved = a.decoded < a.grids;
        if found.codes.len() > before && !unresolved {
            return true;
        }
    }
    found.codes.len() > before && !unresolved
}

/// Grids found, and the payload bytes and corners of those that decoded.
type Reads = (usize, Vec<(payload::Payload, [rqrr::Point; 4])>);

macro_rules! read_grids {
    ($prepared:expr) => {{
        let grids = $prepared.detect_grids();
        let n = grids.len();
        let mut out = Vec::new();
        for grid in grids {
            if let Some(p) = payload::decode_bitgrid(&grid.grid) {
                out.push((p, grid.bounds));
            }
        }
        (n, out)
    }};
}

fn run_rqrr_bitmap(dark: &[bool], w: usize, h: usize, scale: f32, found: &mut Found) -> Attempt {
    guarded(found, scale, || {
        let mut prepared = rqrr::PreparedImage::prepare_from_bitmap(w, h, |x, y| dark[y * w + x]);
        read_grids!(prepared)
    })
}

fn run_rqrr_grey(img: &Gray, scale: f32, found: &mut Found) -> Attempt {
    guarded(found, scale, || {
        let mut prepared =
            rqrr::PreparedImage::prepare_from_greyscale(img.w, img.h, |x, y| img.px[y * img.w + x]);
        read_grids!(prepared)
    })
}

/// Runs one rqrr attempt inside `catch_unwind`; a panic ends the attempt with nothing decoded.
fn guarded<F>(found: &mut Found, scale: f32, attempt_fn: F) -> Attempt
where
    F: FnOnce() -> Reads,
{
    let mut attempt = Attempt::default();
    let Ok((grids, reads)) = catch_unwind(AssertUnwindSafe(attempt_fn)) else {
        tracing::debug!("rqrr panicked on a frame; attempt counted as no decode");
        return attempt;
    };
    attempt.grids = grids;
    for (p, bounds) in reads {
        attempt.decoded += 1;
        let corners = bounds.map(|p| (p.x as f32 * scale, p.y as f32 * scale));
        found.add(DecodedCode {
            text: p.text,
            bytes: p.bytes,
            corners,
            charset: p.charset,
        });
    }
    attempt
}
