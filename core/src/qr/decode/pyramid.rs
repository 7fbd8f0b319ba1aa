//! Scale pyramid: large photos are box-downscaled before searching (rqrr's cost grows with the pixel
//! count, and a 2 MP photo of a sticker has far more pixels per module than needed), small images
//! are upscaled so modules span several pixels.

use super::Gray;

/// Averages `f`×`f` blocks (the last partial row/column of blocks is dropped).
pub(crate) fn downscale(img: &Gray, f: usize) -> Gray {
    if f <= 1 {
        return img.clone();
    }
    let (w, h) = (img.w / f, img.h / f);
    let mut sums = vec![0u32; w];
    let mut px = Vec::with_capacity(w * h);
    let div = (f * f) as u32;
    for by in 0..h {
        sums.fill(0);
        for y in by * f..(by + 1) * f {
            let row = &img.px[y * img.w..y * img.w + w * f];
            for (bx, chunk) in row.chunks_exact(f).enumerate() {
                sums[bx] += chunk.iter().map(|&p| u32::from(p)).sum::<u32>();
            }
        }
        px.extend(sums.iter().map(|&s| (s / div) as u8));
    }
    Gray { w, h, px }
}

/// Bilinear ×2 upscale.
pub(crate) fn upscale2(img: &Gray) -> Gray {
    let (w, h) = (img.w * 2, img.h * 2);
    let mut px = vec![0u8; w * h];
    let at = |x: usize, y: usize| u32::from(img.px[y.min(img.h - 1) * img.w + x.min(img.w - 1)]);
    for y in 0..h {
        let (sy, fy) = (y / 2, (y % 2) as u32);
        for x in 0..w {
            let (sx, fx) = (x / 2, (x % 2) as u32);
            let a = at(sx, sy) * (2 - fx) + at(sx + 1, sy) * fx;
            let b = at(sx, sy + 1) * (2 - fx) + at(sx + 1, sy + 1) * fx;
            px[y * w + x] = ((a * (2 - fy) + b * fy) / 4) as u8;
        }
    }
    Gray { w, h, px }
}
