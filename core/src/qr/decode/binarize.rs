//! Contrast normalisation and adaptive binarisation. rqrr's own threshold is a running row average
//! that fails on shadows, glare and low light; here each pixel is compared with the mean of a square
//! window around it (computed from an integral image, so the cost does not depend on the window).

use super::Gray;

/// Stretches the histogram so the `lo`/`hi` fractions of darkest/brightest pixels saturate.
/// Leaves flat images (no contrast to stretch) untouched.
pub(crate) fn stretch_contrast(img: &mut Gray, lo: f32, hi: f32) {
    let mut hist = [0u32; 256];
    for &p in &img.px {
        hist[usize::from(p)] += 1;
    }
    let n = img.px.len() as f32;
    let (mut acc, mut low, mut high) = (0u32, 0usize, 255usize);
    let lo_n = (n * lo) as u32;
    for (v, &c) in hist.iter().enumerate() {
        acc += c;
        if acc > lo_n {
            low = v;
            break;
        }
    }
    acc = 0;
    let hi_n = (n * (1.0 - hi)) as u32;
    for (v, &c) in hist.iter().enumerate().rev() {
        acc += c;
        if acc > hi_n {
            high = v;
            break;
        }
    }
    if high <= low + 8 {
        return;
    }
    let span = (high - low) as f32;
    let mut lut = [0u8; 256];
    for (v, out) in lut.iter_mut().enumerate() {
        let s = ((v as f32 - low as f32) * 255.0 / span).clamp(0.0, 255.0);
        *out = s as u8;
    }
    for p in &mut img.px {
        *p = lut[usize::from(*p)];
    }
}

/// Summed-area table with one row and column of zeros in front.
pub(crate) struct Integral {
    w: usize,
    sums: Vec<u32>,
}

impl Integral {
    pub(crate) fn new(img: &Gray) -> Self {
        let w = img.w + 1;
        let mut sums = vec![0u32; w * (img.h + 1)];
        for y in 0..img.h {
            let mut row = 0u32;
            let src = &img.px[y * img.w..(y + 1) * img.w];
            for x in 0..img.w {
                row += u32::from(src[x]);
                sums[(y + 1) * w + x + 1] = sums[y * w + x + 1] + row;
            }
        }
        Self { w, sums }
    }

    fn rect(&self, x0: usize, y0: usize, x1: usize, y1: usize) -> u32 {
        // Sums never decrease toward the bottom right, so this cannot underflow.
        let w = self.w;
        self.sums[y1 * w + x1] + self.sums[y0 * w + x0]
            - self.sums[y0 * w + x1]
            - self.sums[y1 * w + x0]
    }
}

/// Marks a pixel dark (true) when it is `offset` below the mean of its `(2r+1)²` window.
pub(crate) fn local_mean_threshold(
    img: &Gray,
    integral: &Integral,
    radius: usize,
    offset: i32,
) -> Vec<bool> {
    let (w, h) = (img.w, img.h);
    let mut out = vec![false; w * h];
    for y in 0..h {
        let y0 = y.saturating_sub(radius);
        let y1 = (y + radius + 1).min(h);
        for x in 0..w {
            let x0 = x.saturating_sub(radius);
            let x1 = (x + radius + 1).min(w);
            let area = ((x1 - x0) * (y1 - y0)) as u32;
            let mean = (integral.rect(x0, y0, x1, y1) / area) as i32;
            out[y * w + x] = i32::from(img.px[y * w + x]) < mean - offset;
        }
    }
    out
}
