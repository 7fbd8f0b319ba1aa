//! The fast path of `decode_frame`: zxing-style detection on a block-binarised frame. Rows are
//! scanned for the 1:1:3:1:1 run pattern of a finder pattern, each hit is cross-checked vertically,
//! horizontally and diagonally, confirmed hits are grouped into triples that form a plausible
//! right-angled corner, the module size is measured along the lines between the patterns, the
//! bottom-right alignment pattern is searched where the three corners predict it, and the grid is
//! sampled through the perspective transform and handed to our payload decoder (`payload.rs`:
//! format, Reed-Solomon, segments). rqrr's own detector (flood fill and an iterative grid fit) stays
//! as the slow path for what this one misses.

use super::Gray;
use super::binarize::{Integral, local_mean_threshold};
use super::hybrid::Bits;
use super::payload::{Payload, decode_grid};

/// A finder-pattern centre found by the row scan.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Centre {
    pub(crate) x: f32,
    pub(crate) y: f32,
    /// Estimated module size in pixels.
    pub(crate) ms: f32,
    /// How many scan rows confirmed it.
    pub(crate) count: u32,
}

/// A code read by the fast path: the decoded payload, corners in frame pixels (top-left,
/// top-right, bottom-right, bottom-left).
pub(crate) struct Read {
    pub(crate) payload: Payload,
    pub(crate) corners: [(f32, f32); 4],
}

/// What one fast-path pass saw.
pub(crate) struct Pass {
    pub(crate) reads: Vec<Read>,
    /// Confirmed finder patterns that belong to no decoded code: a sign a code was left unread.
    pub(crate) unexplained: usize,
}

/// Most candidate centres kept for grouping (the most often confirmed first).
const MAX_CENTRES: usize = 40;
/// Most triples tried per pass.
const MAX_TRIPLES: usize = 80;

/// Runs the finder scan and decodes every plausible triple.
pub(crate) fn scan(bits: &Bits) -> Pass {
    let mut centres = find_centres(bits);
    centres.sort_by_key(|c| std::cmp::Reverse(c.count));
    centres.truncate(MAX_CENTRES);
    let triples = group(&centres);
    let mut used = vec![false; centres.len()];
    let mut reads: Vec<Read> = Vec::new();
    for &(i, j, k) in triples.iter().take(MAX_TRIPLES) {
        if used[i] || used[j] || used[k] {
            continue;
        }
        // Skip triples whose corner already lies inside a decoded code.
        if [i, j, k].iter().any(|&n| {
            reads
                .iter()
                .any(|r| inside(&r.corners, centres[n].x, centres[n].y))
        }) {
            continue;
        }
        if let Some(read) = read_triple(bits, centres[i], centres[j], centres[k]) {
            used[i] = true;
            used[j] = true;
            used[k] = true;
            reads.push(read);
        }
    }
    let unexplained = centres
        .iter()
        .enumerate()
        .filter(|&(n, c)| {
            c.count >= 2 && !used[n] && !reads.iter().any(|r| inside(&r.corners, c.x, c.y))
        })
        .count();
    Pass { reads, unexplained }
}

/// True when (x, y) lies inside the quadrilateral (any winding).
fn inside(q: &[(f32, f32); 4], x: f32, y: f32) -> bool {
    let mut sign = 0i32;
    for i in 0..4 {
        let (ax, ay) = q[i];
        let (bx, by) = q[(i + 1) % 4];
        let cross = (bx - ax) * (y - ay) - (by - ay) * (x - ax);
        let s = if cross > 0.0 { 1 } else { -1 };
        if sign == 0 {
            sign = s;
        } else if s != sign {
            return false;
        }
    }
    true
}

// ---------------------------------------------------------------------------------------------
// Finder patterns

/// 1:1:3:1:1 within `tol` of a module (zxing uses 0.5; diagonals get more slack).
fn finder_ratio(c: &[u32; 5], tol: f32) -> bool {
    let total: u32 = c.iter().sum();
    if total < 7 {
        return false;
    }
    let ms = total as f32 / 7.0;
    let v = ms * tol;
    let d = |n: usize, m: f32| (m * ms - c[n] as f32).abs() < m * v;
    d(0, 1.0) && d(1, 1.0) && d(2, 3.0) && d(3, 1.0) && d(4, 1.0)
}

fn find_centres(bits: &Bits) -> Vec<Centre> {
    let mut centres: Vec<Centre> = Vec::new();
    let step = if bits.h >= 1200 { 2 } else { 1 };
    let mut runs: Vec<(u32, u32)> = Vec::with_capacity(256);
    let mut y = step / 2;
    while y < bits.h {
        bits.row_runs(y, &mut runs);
        // Even indices are dark runs.
        let mut i = 0;
        while i + 5 <= runs.len() {
            let c = [
                runs[i].1,
                runs[i + 1].1,
                runs[i + 2].1,
                runs[i + 3].1,
                runs[i + 4].1,
            ];
            if finder_ratio(&c, 0.5) {
                let cx = runs[i + 2].0 as f32 + runs[i + 2].1 as f32 / 2.0;
                if let Some(found) = confirm(bits, cx, y, &c) {
                    merge(&mut centres, found);
                }
            }
            i += 2;
        }
        y += step;
    }
    centres
}

/// Cross-checks a row hit vertically, then horizontally at the refined row, then diagonally.
fn confirm(bits: &Bits, cx: f32, y: usize, row: &[u32; 5]) -> Option<Centre> {
    let total: u32 = row.iter().sum();
    let max = row[2] * 2;
    let (cy, vtotal) = cross_check(bits, cx as i32, y as i32, 0, 1, max, Some(total))?;
    let (cx, htotal) = cross_check(bits, cx as i32, cy as i32, 1, 0, max, Some(total))?;
    cross_check(bits, cx as i32, cy as i32, 1, 1, max, None)?;
    Some(Centre {
        x: cx,
        y: cy,
        ms: (vtotal + htotal) as f32 / 14.0,
        count: 1,
    })
}

/// Walks from (x, y) both ways along (dx, dy) counting the five runs of a finder pattern. Returns
/// the refined centre coordinate along the walked axis (x for horizontal and diagonal walks, y for
/// vertical) and the pattern's length in steps.
fn cross_check(
    bits: &Bits,
    x: i32,
    y: i32,
    dx: i32,
    dy: i32,
    max: u32,
    expect: Option<u32>,
) -> Option<(f32, u32)> {
    if bits.at(x, y) != Some(true) {
        return None;
    }
    let at = |k: i32| bits.at(x + k * dx, y + k * dy);
    let mut c = [0u32; 5];
    // Backwards: centre run (including the start), light ring, dark ring.
    let mut k = 0;
    while at(k) == Some(true) {
        c[2] += 1;
        k -= 1;
    }
    while at(k) == Some(false) && c[1] <= max {
        c[1] += 1;
        k -= 1;
    }
    if at(k).is_none() || c[1] == 0 || c[1] > max {
        return None;
    }
    while at(k) == Some(true) && c[0] <= max {
        c[0] += 1;
        k -= 1;
    }
    if c[0] > max {
        return None;
    }
    let back = -(c[2] as i32 - 1);
    // Forwards.
    let mut k = 1;
    while at(k) == Some(true) {
        c[2] += 1;
        k += 1;
    }
    let fwd = k - 1;
    while at(k) == Some(false) && c[3] <= max {
        c[3] += 1;
        k += 1;
    }
    if at(k).is_none() || c[3] == 0 || c[3] > max {
        return None;
    }
    while at(k) == Some(true) && c[4] <= max {
        c[4] += 1;
        k += 1;
    }
    if c[4] > max {
        return None;
    }
    let total: u32 = c.iter().sum();
    if let Some(orig) = expect {
        // Perspective squeezes a pattern along one axis; the ratio check below does the rest.
        if total * 5 < orig * 2 || total * 2 > orig * 5 {
            return None;
        }
    }
    let tol = if dx != 0 && dy != 0 { 0.75 } else { 0.5 };
    if !finder_ratio(&c, tol) {
        return None;
    }
    let mid = (back + fwd + 1) as f32 / 2.0;
    let base = if dx != 0 { x } else { y };
    Some((base as f32 + mid, total))
}

fn merge(centres: &mut Vec<Centre>, found: Centre) {
    for c in centres.iter_mut() {
        let ms = found.ms;
        if (c.x - found.x).abs() <= ms
            && (c.y - found.y).abs() <= ms
            && ((c.ms - ms).abs() <= 1.0 || (c.ms - ms).abs() <= c.ms * 0.5)
        {
            let n = c.count as f32;
            c.x = (c.x * n + found.x) / (n + 1.0);
            c.y = (c.y * n + found.y) / (n + 1.0);
            c.ms = (c.ms * n + found.ms) / (n + 1.0);
            c.count += 1;
            return;
        }
    }
    centres.push(found);
}

// ---------------------------------------------------------------------------------------------
// Grouping

/// Triples (top-left first) that can be the corners of one code, best first.
fn group(c: &[Centre]) -> Vec<(usize, usize, usize)> {
    let mut out: Vec<(f32, (usize, usize, usize))> = Vec::new();
    let d = |a: &Centre, b: &Centre| ((a.x - b.x).powi(2) + (a.y - b.y).powi(2)).sqrt();
    for i in 0..c.len() {
        for j in i + 1..c.len() {
            for k in j + 1..c.len() {
                let (a, b, e) = (&c[i], &c[j], &c[k]);
                let msmax = a.ms.max(b.ms).max(e.ms);
                let msmin = a.ms.min(b.ms).min(e.ms);
                if msmax > msmin * 2.0 {
                    continue;
                }
                // The corner (top-left) is opposite the longest side.
                let (dij, djk, dik) = (d(a, b), d(b, e), d(a, e));
                let (tl, p, q, l1, l2, hyp) = if djk >= dij && djk >= dik {
                    (i, j, k, dij, dik, djk)
                } else if dik >= dij {
                    (j, i, k, dij, djk, dik)
                } else {
                    (k, i, j, dik, djk, dij)
                };
                let ms = (a.ms + b.ms + e.ms) / 3.0;
                let (short, long) = (l1.min(l2), l1.max(l2));
                if short / ms < 10.0 || long / ms > 190.0 || long > short * 2.0 {
                    continue;
                }
                let cos = (l1 * l1 + l2 * l2 - hyp * hyp) / (2.0 * l1 * l2);
                if cos.abs() > 0.7 {
                    continue;
                }
                let score = cos.abs() + (long / short - 1.0) + (msmax / msmin - 1.0) * 0.5;
                // Order the other two so tl→p→q turns clockwise on screen (y down).
                let (t, pp, qq) = (&c[tl], &c[p], &c[q]);
                let cross = (pp.x - t.x) * (qq.y - t.y) - (pp.y - t.y) * (qq.x - t.x);
                let tri = if cross >= 0.0 { (tl, p, q) } else { (tl, q, p) };
                out.push((score, tri));
            }
        }
    }
    out.sort_by(|a, b| a.0.total_cmp(&b.0));
    out.into_iter().map(|(_, t)| t).collect()
}

// ---------------------------------------------------------------------------------------------
// Geometry and sampling

type Pt = (f64, f64);

/// Distance from `from` along unit `dir` to the outer edge of the finder pattern it sits in
/// (dark, light, dark, then light: 3.5 modules from the centre), if found within `limit` pixels.
fn edge_distance(bits: &Bits, from: Pt, dir: Pt, limit: f64) -> Option<f64> {
    let mut state = 0;
    let mut t = 0.0;
    while t < limit {
        let (x, y) = (from.0 + dir.0 * t, from.1 + dir.1 * t);
        let dark = bits.at(x.floor() as i32, y.floor() as i32)?;
        state = match (state, dark) {
            (0, false) | (2, false) => state + 1,
            (1, true) => 2,
            (3, _) => 3,
            (s, _) => s,
        };
        if state == 3 {
            return Some(t);
        }
        t += 0.5;
    }
    None
}

/// Points measured on the line through two finder centres: the centres and the outer edges of
/// both patterns (found by walking from each centre both ways), keyed by module position along the
/// line. Positions near `b` count from the far end (`from_end`), as the size is not known yet.
struct LineFit {
    /// Module size: the mean half-pattern width over 3.5.
    ms: f64,
    /// (from_end, module offset, image point).
    pts: Vec<(bool, f64, Pt)>,
}

impl LineFit {
    /// Module coordinate along the line for a code of `size` modules.
    fn module(&self, i: usize, size: f64) -> f64 {
        let (from_end, off, _) = self.pts[i];
        if from_end { size + off } else { off }
    }
}

/// Measures the line from finder `a` to finder `b` (zxing measures module size the same way:
/// robust to rotation, unlike the row-run estimate).
fn measure_line(bits: &Bits, a: &Centre, b: &Centre) -> Option<LineFit> {
    let (pa, pb) = (
        (f64::from(a.x), f64::from(a.y)),
        (f64::from(b.x), f64::from(b.y)),
    );
    let len = ((pb.0 - pa.0).powi(2) + (pb.1 - pa.1).powi(2)).sqrt();
    if len < 1.0 {
        return None;
    }
    let dir = ((pb.0 - pa.0) / len, (pb.1 - pa.1) / len);
    let back = (-dir.0, -dir.1);
    let at = |p: Pt, d: Pt, t: f64| (p.0 + d.0 * t, p.1 + d.1 * t);
    let mut pts = vec![(false, 3.5, pa), (true, -3.5, pb)];
    let (mut sum, mut n) = (0.0, 0.0);
    for (from_end, p, d, off, lim) in [
        (false, pa, dir, 7.0, f64::from(a.ms) * 7.0),
        (false, pa, back, 0.0, f64::from(a.ms) * 7.0),
        (true, pb, back, -7.0, f64::from(b.ms) * 7.0),
        (true, pb, dir, 0.0, f64::from(b.ms) * 7.0),
    ] {
        if let Some(t) = edge_distance(bits, p, d, lim) {
            sum += t;
            n += 1.0;
            pts.push((from_end, off, at(p, d, t)));
        }
    }
    if n == 0.0 {
        return None;
    }
    // Each measured half-pattern spans 3.5 modules.
    Some(LineFit {
        ms: sum / n / 3.5,
        pts,
    })
}

/// Least-squares homography (module coordinates → image) through point pairs, normalised for
/// conditioning: modules by the code size, pixels about `origin` by `scale`.
#[allow(clippy::needless_range_loop)]
fn fit_homography(pairs: &[(Pt, Pt)], size: f64, origin: Pt, scale: f64) -> Option<Transform> {
    if pairs.len() < 4 || scale <= 0.0 {
        return None;
    }
    let mut ata = [[0.0f64; 8]; 8];
    let mut atb = [0.0f64; 8];
    for &((u, v), (x, y)) in pairs {
        let (u, v) = (u / size, v / size);
        let (x, y) = ((x - origin.0) / scale, (y - origin.1) / scale);
        let rows = [
            ([u, v, 1.0, 0.0, 0.0, 0.0, -u * x, -v * x], x),
            ([0.0, 0.0, 0.0, u, v, 1.0, -u * y, -v * y], y),
        ];
        for (r, b) in rows {
            for i in 0..8 {
                for j in 0..8 {
                    ata[i][j] += r[i] * r[j];
                }
                atb[i] += r[i] * b;
            }
        }
    }
    let h = solve8(ata, atb)?;
    let hm = Transform([h[0], h[1], h[2], h[3], h[4], h[5], h[6], h[7], 1.0]);
    let norm_in = Transform([1.0 / size, 0.0, 0.0, 0.0, 1.0 / size, 0.0, 0.0, 0.0, 1.0]);
    let denorm = Transform([scale, 0.0, origin.0, 0.0, scale, origin.1, 0.0, 0.0, 1.0]);
    Some(denorm.after(&hm.after(&norm_in)))
}

/// Gaussian elimination with partial pivoting; `None` when (nearly) singular.
#[allow(clippy::needless_range_loop)] // index loops read as the matrix algebra they are
fn solve8(mut a: [[f64; 8]; 8], mut b: [f64; 8]) -> Option<[f64; 8]> {
    for col in 0..8 {
        let piv = (col..8).max_by(|&i, &j| a[i][col].abs().total_cmp(&a[j][col].abs()))?;
        if a[piv][col].abs() < 1e-12 {
            return None;
        }
        a.swap(col, piv);
        b.swap(col, piv);
        for row in col + 1..8 {
            let f = a[row][col] / a[col][col];
            for k in col..8 {
                a[row][k] -= f * a[col][k];
            }
            b[row] -= f * b[col];
        }
    }
    let mut x = [0.0; 8];
    for row in (0..8).rev() {
        let s: f64 = (row + 1..8).map(|k| a[row][k] * x[k]).sum();
        x[row] = (b[row] - s) / a[row][row];
    }
    x.iter().all(|v| v.is_finite()).then_some(x)
}

/// Projective map between two quadrilaterals (zxing's `PerspectiveTransform`).
#[derive(Clone, Copy)]
pub(super) struct Transform([f64; 9]);

impl Transform {
    fn square_to_quad(q: [Pt; 4]) -> Self {
        let [(x0, y0), (x1, y1), (x2, y2), (x3, y3)] = q;
        let dx3 = x0 - x1 + x2 - x3;
        let dy3 = y0 - y1 + y2 - y3;
        if dx3.abs() < 1e-9 && dy3.abs() < 1e-9 {
            return Transform([x1 - x0, x2 - x1, x0, y1 - y0, y2 - y1, y0, 0.0, 0.0, 1.0]);
        }
        let (dx1, dx2, dy1, dy2) = (x1 - x2, x3 - x2, y1 - y2, y3 - y2);
        let den = dx1 * dy2 - dx2 * dy1;
        let a13 = (dx3 * dy2 - dx2 * dy3) / den;
        let a23 = (dx1 * dy3 - dx3 * dy1) / den;
        Transform([
            x1 - x0 + a13 * x1,
            x3 - x0 + a23 * x3,
            x0,
            y1 - y0 + a13 * y1,
            y3 - y0 + a23 * y3,
            y0,
            a13,
            a23,
            1.0,
        ])
    }

    /// Inverse up to scale (the adjugate).
    fn adjugate(&self) -> Self {
        let [a, b, c, d, e, f, g, h, i] = self.0;
        Transform([
            e * i - f * h,
            c * h - b * i,
            b * f - c * e,
            f * g - d * i,
            a * i - c * g,
            c * d - a * f,
            d * h - e * g,
            b * g - a * h,
            a * e - b * d,
        ])
    }

    /// `self` after `first`.
    fn after(&self, first: &Self) -> Self {
        let (m, n) = (&self.0, &first.0);
        let mut r = [0.0; 9];
        for row in 0..3 {
            for col in 0..3 {
                r[row * 3 + col] = (0..3).map(|k| m[row * 3 + k] * n[k * 3 + col]).sum();
            }
        }
        Transform(r)
    }

    pub(super) fn quad_to_quad(from: [Pt; 4], to: [Pt; 4]) -> Self {
        Self::square_to_quad(to).after(&Self::square_to_quad(from).adjugate())
    }

    pub(super) fn map(&self, x: f64, y: f64) -> Option<Pt> {
        let m = &self.0;
        let w = m[6] * x + m[7] * y + m[8];
        if w.abs() < 1e-12 {
            return None;
        }
        Some((
            (m[0] * x + m[1] * y + m[2]) / w,
            (m[3] * x + m[4] * y + m[5]) / w,
        ))
    }
}

/// Module grid sampled from the frame (row-major, true = dark).
struct Sampled {
    size: usize,
    cells: Vec<bool>,
}

/// Our payload decoder only: rqrr's would add nothing here but cost (its Reed-Solomon syndromes
/// take about a millisecond on a large grid, paid on every wrong size tried).
fn decode_sampled(g: &Sampled) -> Option<Payload> {
    decode_grid(g.size, &|r, c| g.cells[r * g.size + c])
}

fn sample(bits: &Bits, t: &Transform, size: usize) -> Option<Sampled> {
    let mut cells = Vec::with_capacity(size * size);
    let (w, h) = (bits.w as f64, bits.h as f64);
    for row in 0..size {
        for col in 0..size {
            let (x, y) = t.map(col as f64 + 0.5, row as f64 + 0.5)?;
            if x < -2.0 || y < -2.0 || x > w + 2.0 || y > h + 2.0 || !x.is_finite() {
                return None;
            }
            let xi = (x.floor() as i32).clamp(0, bits.w as i32 - 1);
            let yi = (y.floor() as i32).clamp(0, bits.h as i32 - 1);
            cells.push(bits.at(xi, yi).unwrap_or(false));
        }
    }
    Some(Sampled { size, cells })
}

/// Grey level at each module centre (mean of the 2×2 pixels around it), as a `size`×`size` image,
/// for re-thresholding a grid that did not decode from the block binarisation.
fn sample_grey(bits: &Bits, t: &Transform, size: usize) -> Option<Gray> {
    let mut out = Vec::with_capacity(size * size);
    for row in 0..size {
        for col in 0..size {
            let (x, y) = t.map(col as f64 + 0.5, row as f64 + 0.5)?;
            if !x.is_finite() || !y.is_finite() {
                return None;
            }
            let xi = ((x - 0.5).floor() as i64).clamp(0, bits.w as i64 - 2) as usize;
            let yi = ((y - 0.5).floor() as i64).clamp(0, bits.h as i64 - 2) as usize;
            let sum = u32::from(bits.grey(xi, yi))
                + u32::from(bits.grey(xi + 1, yi))
                + u32::from(bits.grey(xi, yi + 1))
                + u32::from(bits.grey(xi + 1, yi + 1));
            out.push((sum / 4) as u8);
        }
    }
    Some(Gray {
        w: size,
        h: size,
        px: out,
    })
}

/// Module grids from sampled grey levels: each module against the mean of the 7×7 modules around
/// it (uneven light: shadows, glare), then one global Otsu threshold (blur, low contrast).
fn regrid(grey: &Gray) -> [Sampled; 2] {
    let size = grey.w;
    let local = local_mean_threshold(grey, &Integral::new(grey), 3, 0);
    let otsu = otsu(&grey.px);
    let global = grey.px.iter().map(|&v| v <= otsu).collect();
    [
        Sampled { size, cells: local },
        Sampled {
            size,
            cells: global,
        },
    ]
}

/// Otsu's threshold of a set of grey levels.
fn otsu(v: &[u8]) -> u8 {
    let mut hist = [0u32; 256];
    for &p in v {
        hist[usize::from(p)] += 1;
    }
    let total = v.len() as f64;
    let sum_all: f64 = hist
        .iter()
        .enumerate()
        .map(|(i, &c)| i as f64 * f64::from(c))
        .sum();
    let (mut w0, mut sum0, mut best, mut best_t) = (0.0, 0.0, -1.0, 127u8);
    for (t, &c) in hist.iter().enumerate() {
        w0 += f64::from(c);
        sum0 += t as f64 * f64::from(c);
        let w1 = total - w0;
        if w0 == 0.0 || w1 == 0.0 {
            continue;
        }
        let (m0, m1) = (sum0 / w0, (sum_all - sum0) / w1);
        let between = w0 * w1 * (m0 - m1).powi(2);
        if between > best {
            best = between;
            best_t = t as u8;
        }
    }
    best_t
}

/// Centre of the alignment pattern nearest `est` within `radius` pixels: a dark module in a light
/// ring, checked along the row and the column.
fn find_alignment(bits: &Bits, est: Pt, ms: f64, radius: f64) -> Option<Pt> {
    let (x0, x1) = (
        (est.0 - radius).max(0.0) as usize,
        ((est.0 + radius) as usize).min(bits.w.saturating_sub(1)),
    );
    let (y0, y1) = (
        (est.1 - radius).max(0.0) as usize,
        ((est.1 + radius) as usize).min(bits.h.saturating_sub(1)),
    );
    if x1 <= x0 + 2 || y1 <= y0 + 2 {
        return None;
    }
    let near = |len: u32| (f64::from(len) - ms).abs() < ms * 0.75;
    let mut best: Option<(f64, Pt)> = None;
    for y in y0..=y1 {
        let row: Vec<bool> = (x0..=x1)
            .map(|x| bits.at(x as i32, y as i32) == Some(true))
            .collect();
        // Light, dark, light runs.
        let mut runs: Vec<(usize, u32, bool)> = Vec::new();
        let mut start = 0;
        for x in 1..=row.len() {
            if x == row.len() || row[x] != row[start] {
                runs.push((start, (x - start) as u32, row[start]));
                start = x;
            }
        }
        for w in runs.windows(3) {
            let [(_, l0, d0), (s1, l1, d1), (_, l2, d2)] = [w[0], w[1], w[2]];
            if d0 || !d1 || d2 || !near(l0) || !near(l1) || !near(l2) {
                continue;
            }
            let cx = (x0 + s1) as f64 + f64::from(l1) / 2.0;
            let Some(cy) = vertical_alignment(bits, cx as i32, y as i32, ms) else {
                continue;
            };
            let dist = (cx - est.0).powi(2) + (cy - est.1).powi(2);
            if best.is_none_or(|(b, _)| dist < b) {
                best = Some((dist, (cx, cy)));
            }
        }
    }
    best.map(|(_, p)| p)
}

/// Vertical light-dark-light check through an alignment candidate; the refined centre row.
fn vertical_alignment(bits: &Bits, x: i32, y: i32, ms: f64) -> Option<f64> {
    let max = (ms * 2.0).ceil() as i32;
    let at = |k: i32| bits.at(x, y + k);
    let mut up = 0;
    while at(-up - 1) == Some(true) && up < max {
        up += 1;
    }
    let mut down = 0;
    while at(down + 1) == Some(true) && down < max {
        down += 1;
    }
    let dark = f64::from(up + down + 1);
    let mut lu = 0;
    while at(-up - 1 - lu) == Some(false) && lu < max {
        lu += 1;
    }
    let mut ld = 0;
    while at(down + 1 + ld) == Some(false) && ld < max {
        ld += 1;
    }
    let near = |len: f64| (len - ms).abs() < ms * 0.75;
    if !near(dark) || !near(f64::from(lu)) || !near(f64::from(ld)) {
        return None;
    }
    Some(f64::from(y - up) + dark / 2.0)
}

/// Largest timing-pattern error for a grid that failed to decode to be re-thresholded from its
/// grey levels: the geometry must already be right, or the retry is wasted time.
const REGRID_TIMING_ERROR: f64 = 0.25;

/// Largest share of wrong timing-pattern modules for a size to be tried.
const MAX_TIMING_ERROR: f64 = 0.5;

/// Share of timing-pattern modules (row 6 and column 6 between the finders) that do not alternate
/// as they must; `None` when they fall outside the frame.
fn timing_error(bits: &Bits, t: &Transform, size: usize) -> Option<f64> {
    let mut wrong = 0usize;
    let mut n = 0usize;
    for i in 8..size - 8 {
        let expect = i % 2 == 0;
        for (x, y) in [(i as f64 + 0.5, 6.5), (6.5, i as f64 + 0.5)] {
            let (px, py) = t.map(x, y)?;
            let dark = bits.at(px.floor() as i32, py.floor() as i32)?;
            wrong += usize::from(dark != expect);
            n += 1;
        }
    }
    Some(wrong as f64 / n.max(1) as f64)
}

fn read_triple(bits: &Bits, tl: Centre, tr: Centre, bl: Centre) -> Option<Read> {
    let top = measure_line(bits, &tl, &tr)?;
    let left = measure_line(bits, &tl, &bl)?;
    let d = |a: &Centre, b: &Centre| {
        (f64::from(a.x - b.x).powi(2) + f64::from(a.y - b.y).powi(2)).sqrt()
    };
    let est = (d(&tl, &tr) / top.ms + d(&tl, &bl) / left.ms) / 2.0 + 7.0;
    let base = (((est - 17.0) / 4.0).round() * 4.0 + 17.0).clamp(21.0, 177.0) as usize;
    let p = |c: &Centre| (f64::from(c.x), f64::from(c.y));
    let (ptl, ptr, pbl) = (p(&tl), p(&tr), p(&bl));
    let ms = (top.ms + left.ms) / 2.0;
    let br = (ptr.0 - ptl.0 + pbl.0, ptr.1 - ptl.1 + pbl.1);
    let affine = |s: f64| {
        let from = [
            (3.5, 3.5),
            (s - 3.5, 3.5),
            (s - 3.5, s - 3.5),
            (3.5, s - 3.5),
        ];
        Transform::quad_to_quad(from, [ptl, ptr, br, pbl])
    };
    // Point pairs on the top and left lines: two lines of a plane fix its perspective, so the
    // foreshortening between near and far finders is modelled, not assumed away as by the affine
    // map through the three centres.
    let scale = d(&tl, &tr).max(1.0);
    let pairs = |s: f64| {
        let mut v: Vec<(Pt, Pt)> = Vec::with_capacity(13);
        for (i, &(_, _, p)) in top.pts.iter().enumerate() {
            v.push(((top.module(i, s), 3.5), p));
        }
        for (i, &(_, _, p)) in left.pts.iter().enumerate() {
            v.push(((3.5, left.module(i, s)), p));
        }
        v
    };
    // The module-size estimate only brackets the size; the timing patterns (row and column 6,
    // alternating between the finders) pick it: a wrong size or a triple that is no code at all
    // shows as a timing pattern full of errors, rejected before any grid is sampled. Perspective
    // is refined with the bottom-right alignment pattern where one is found.
    let span = if base >= 45 { 12 } else { 8 };
    let sizes = std::iter::once(base)
        .chain((1..=span / 4).flat_map(|k| [base + 4 * k, base.wrapping_sub(4 * k)]))
        .filter(|s| (21..=177).contains(s));
    let mut cands: Vec<(f64, usize, Transform)> = Vec::new();
    for size in sizes {
        let s = size as f64;
        let mut models = vec![affine(s)];
        let mut pv = pairs(s);
        if let Some(h) = fit_homography(&pv, s, ptl, scale) {
            models.push(h);
        }
        if size > 21 {
            // Bottom-right alignment pattern centre: 3 modules in from the corner.
            let guess = models.last().and_then(|m| m.map(s - 6.5, s - 6.5));
            if let Some(est) = guess
                && let Some(al) = find_alignment(bits, est, ms, ms * 5.0)
            {
                pv.push(((s - 6.5, s - 6.5), al));
                if let Some(h) = fit_homography(&pv, s, ptl, scale) {
                    models.push(h);
                }
            }
        }
        for m in models {
            if let Some(e) = timing_error(bits, &m, size)
                && e <= MAX_TIMING_ERROR
            {
                cands.push((e, size, m));
            }
        }
    }
    cands.sort_by(|a, b| a.0.total_cmp(&b.0));
    for (idx, &(err, size, t)) in cands.iter().take(4).enumerate() {
        let s = size as f64;
        let Some(grid) = sample(bits, &t, size) else {
            continue;
        };
        // The block binarisation first; then, for the best-fitting size only, the grid
        // re-thresholded from its grey levels.
        let mut payload = decode_sampled(&grid);
        if payload.is_none()
            && idx == 0
            && err <= REGRID_TIMING_ERROR
            && let Some(grey) = sample_grey(bits, &t, size)
        {
            payload = regrid(&grey).iter().find_map(decode_sampled);
        }
        if let Some(payload) = payload {
            let corner = |x: f64, y: f64| {
                t.map(x, y)
                    .map_or((f32::NAN, f32::NAN), |(a, b)| (a as f32, b as f32))
            };
            let corners = [
                corner(0.0, 0.0),
                corner(s, 0.0),
                corner(s, s),
                corner(0.0, s),
            ];
            return Some(Read { payload, corners });
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn transform_maps_corners_of_a_quad() {
        let from = [(3.5, 3.5), (17.5, 3.5), (14.5, 14.5), (3.5, 17.5)];
        let to = [(10.0, 12.0), (80.0, 15.0), (70.0, 75.0), (8.0, 90.0)];
        let t = Transform::quad_to_quad(from, to);
        for (f, e) in from.iter().zip(to.iter()) {
            let (x, y) = t.map(f.0, f.1).unwrap_or((f64::NAN, f64::NAN));
            assert!(
                (x - e.0).abs() < 1e-6 && (y - e.1).abs() < 1e-6,
                "{f:?} → {x},{y}"
            );
        }
    }

    #[test]
    fn homography_from_two_lines_recovers_the_far_corner() {
        // A strongly foreshortened 41-module code: the far corner is only implied by the
        // perspective along the top and left lines, which the fit must recover.
        let size = 41.0;
        let truth = Transform::quad_to_quad(
            [(0.0, 0.0), (size, 0.0), (size, size), (0.0, size)],
            [
                (100.0, 100.0),
                (420.0, 60.0),
                (380.0, 300.0),
                (130.0, 400.0),
            ],
        );
        let mut pairs = Vec::new();
        for u in [0.0, 3.5, 7.0, size - 7.0, size - 3.5, size] {
            for m in [(u, 3.5), (3.5, u)] {
                let p = truth.map(m.0, m.1).unwrap_or((f64::NAN, f64::NAN));
                pairs.push((m, p));
            }
        }
        let fit = fit_homography(&pairs, size, (100.0, 100.0), 320.0);
        let fit = fit.unwrap_or(Transform([0.0; 9]));
        for m in [(size, size), (size - 6.5, size - 6.5), (20.0, 30.0)] {
            let want = truth.map(m.0, m.1).unwrap_or((f64::NAN, f64::NAN));
            let got = fit.map(m.0, m.1).unwrap_or((f64::NAN, f64::NAN));
            assert!(
                (want.0 - got.0).abs() < 1e-3 && (want.1 - got.1).abs() < 1e-3,
                "{m:?}: {got:?} != {want:?}"
            );
        }
    }

    #[test]
    fn finder_ratio_accepts_scaled_pattern_and_rejects_others() {
        assert!(finder_ratio(&[4, 4, 12, 4, 4], 0.5));
        assert!(finder_ratio(&[5, 3, 13, 4, 4], 0.5));
        assert!(!finder_ratio(&[4, 4, 4, 4, 4], 0.5));
        assert!(!finder_ratio(&[1, 1, 3, 1, 0], 0.5));
    }

    #[test]
    fn regrid_reads_module_greys_under_a_shadow_and_at_low_contrast() {
        let code = qrcode::QrCode::new(b"regrid under a shadow").unwrap_or_else(|e| panic!("{e}"));
        let n = code.width();
        let colors = code.to_colors();
        // Dark 40, light 110, plus a left-to-right ramp of 0..=140: dark modules on the right are
        // lighter than light ones on the left, so no single threshold separates them.
        let grey: Vec<u8> = (0..n * n)
            .map(|i| {
                let base = if colors[i] == qrcode::Color::Dark {
                    40
                } else {
                    110
                };
                (base + (i % n) * 140 / (n - 1)) as u8
            })
            .collect();
        let [local, _] = regrid(&Gray {
            w: n,
            h: n,
            px: grey,
        });
        let p = decode_sampled(&local).map(|p| p.text);
        assert_eq!(p.as_deref(), Some("regrid under a shadow"));
        // Low contrast and no ramp: Otsu's global threshold reads it.
        let flat: Vec<u8> = colors
            .iter()
            .map(|c| if *c == qrcode::Color::Dark { 120 } else { 136 })
            .collect();
        let [_, global] = regrid(&Gray {
            w: n,
            h: n,
            px: flat,
        });
        let p = decode_sampled(&global).map(|p| p.text);
        assert_eq!(p.as_deref(), Some("regrid under a shadow"));
    }

    #[test]
    fn inside_quad() {
        let q = [(0.0, 0.0), (10.0, 0.0), (10.0, 10.0), (0.0, 10.0)];
        assert!(inside(&q, 5.0, 5.0));
        assert!(!inside(&q, 15.0, 5.0));
    }
}

#[cfg(test)]
/// Diagnostics for one photo: the finder centres found, the triples tried and what each read.
/// `QR_DEBUG_INVERT=1` scans light-on-dark; `QR_DEBUG_DUMP=out.png` writes the binarisation.
mod debug {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    #[ignore = "diagnostics: QR_DEBUG_IMAGE=path cargo test -p connect-core finder_debug -- --ignored --nocapture"]
    fn finder_debug() {
        let Some(path) = std::env::var_os("QR_DEBUG_IMAGE") else {
            return;
        };
        let img = image::open(path).unwrap().to_luma8();
        let (w, h) = (img.width() as usize, img.height() as usize);
        let mut bits = crate::qr::decode::hybrid::binarize(img.as_raw(), w, h, w);
        if std::env::var_os("QR_DEBUG_INVERT").is_some() {
            bits.invert();
        }
        if let Some(out) = std::env::var_os("QR_DEBUG_DUMP") {
            let mut im = image::GrayImage::new(w as u32, h as u32);
            for y in 0..h {
                for x in 0..w {
                    let d = bits.at(x as i32, y as i32).unwrap_or(false);
                    im.put_pixel(x as u32, y as u32, image::Luma([if d { 0 } else { 255 }]));
                }
            }
            im.save(out).unwrap();
        }
        let mut centres = find_centres(&bits);
        centres.sort_by_key(|c| std::cmp::Reverse(c.count));
        for c in &centres {
            println!(
                "centre {:.1},{:.1} ms {:.2} count {}",
                c.x, c.y, c.ms, c.count
            );
        }
        let triples = group(&centres);
        println!("{} triples", triples.len());
        for &(i, j, k) in triples.iter().take(10) {
            let (a, b, c) = (centres[i], centres[j], centres[k]);
            let msx = measure_line(&bits, &a, &b).map(|l| l.ms);
            let msy = measure_line(&bits, &a, &c).map(|l| l.ms);
            let r = read_triple(&bits, a, b, c);
            println!(
                "tl {:.0},{:.0} tr {:.0},{:.0} bl {:.0},{:.0} msx {msx:?} msy {msy:?} read {}",
                a.x,
                a.y,
                b.x,
                b.y,
                c.x,
                c.y,
                r.map(|r| r.payload.text).unwrap_or_default()
            );
        }
    }
}
