//! A uniform grid over polygon bounding boxes: the fast path for the point and near queries of a
//! city, where buildings are spread fairly evenly.
//!
//! Cells are about square in metres, a few per polygon; each cell lists the
//! polygons whose box reaches into it (compressed rows: `cell_start` offsets into `items`). A point
//! query reads one cell; a box query reads the cells the box covers and reports each polygon once,
//! in the one cell where the lower-left corner of (polygon box ∩ query box) lies, so no allocation
//! or "seen" set is needed. Where polygons are very unevenly spread (a region holding several
//! distant cities) a cell could hold thousands of polygons; [`Grid::new`] then declines and the
//! index keeps using its R-tree. Derived at load, never stored in the pack.

use crate::geo::rtree::BBox;

/// Cells per polygon: smaller cells cost memory and make boxes span more cells, bigger ones make
/// each query test more boxes; 4 was the fastest on the Vologda points (about 43 m cells).
const CELLS_PER_ITEM: usize = 4;

/// Expected polygons examined per point query above which the grid is not used.
const MAX_EXPECTED_PER_CELL: f64 = 24.0;

/// The grid.
#[derive(Debug, Clone)]
pub(crate) struct Grid {
    x0: f64,
    y0: f64,
    /// Cells per degree, horizontally and vertically.
    sx: f64,
    sy: f64,
    nx: usize,
    ny: usize,
    /// Cell `c` lists `items[cell_start[c]..cell_start[c + 1]]`.
    cell_start: Vec<u32>,
    items: Vec<u32>,
    /// The lower-left cell (x, y) of each item's box, for reporting each item once.
    first_cell: Vec<[u16; 2]>,
}

#[inline]
fn intersects(a: &BBox, q: &BBox) -> bool {
    a[0] <= q[2] && a[2] >= q[0] && a[1] <= q[3] && a[3] >= q[1]
}

impl Grid {
    /// A grid over `boxes` (item `i` has box `boxes[i]`), or `None` when they are too unevenly
    /// spread for a grid to help (or there are none).
    pub(crate) fn new(boxes: &[BBox]) -> Option<Grid> {
        if boxes.is_empty() || boxes.len() > u32::MAX as usize {
            return None;
        }
        let mut b = boxes[0];
        for x in boxes {
            b = [
                b[0].min(x[0]),
                b[1].min(x[1]),
                b[2].max(x[2]),
                b[3].max(x[3]),
            ];
        }
        let (w, h) = (b[2] - b[0], b[3] - b[1]);
        if !(w.is_finite() && h.is_finite()) {
            return None;
        }
        // Square cells in metres: a degree of longitude is cos(lat) of a degree of latitude.
        let shrink = ((b[1] + b[3]) / 2.0).to_radians().cos().clamp(0.05, 1.0);
        let target = (CELLS_PER_ITEM * boxes.len()).max(1) as f64;
        let side = ((w * shrink).max(1e-9) * h.max(1e-9) / target).sqrt();
        let nx = ((w * shrink / side).ceil() as usize).clamp(1, 1 << 16);
        let ny = ((h / side).ceil() as usize).clamp(1, 1 << 16);
        if nx * ny > 2 * CELLS_PER_ITEM * boxes.len() + 1024 {
            return None;
        }
        let mut grid = Grid {
            x0: b[0],
            y0: b[1],
            sx: if w > 0.0 { nx as f64 / w } else { 0.0 },
            sy: if h > 0.0 { ny as f64 / h } else { 0.0 },
            nx,
            ny,
            cell_start: vec![0; nx * ny + 1],
            items: Vec::new(),
            first_cell: Vec::with_capacity(boxes.len()),
        };
        for bb in boxes {
            let (x0, y0, x1, y1) = grid.range(bb);
            for y in y0..=y1 {
                for x in x0..=x1 {
                    grid.cell_start[y * nx + x + 1] += 1;
                }
            }
        }
        // Expected candidates of a query at a random polygon: Σ count² / Σ count.
        let (mut sum, mut sum_sq) = (0.0f64, 0.0f64);
        for &c in &grid.cell_start[1..] {
            let c = f64::from(c);
            sum += c;
            sum_sq += c * c;
        }
        if sum_sq / sum.max(1.0) > MAX_EXPECTED_PER_CELL {
            return None;
        }
        for c in 0..nx * ny {
            grid.cell_start[c + 1] += grid.cell_start[c];
        }
        let total = grid.cell_start[nx * ny] as usize;
        grid.items = vec![0; total];
        let mut next: Vec<u32> = grid.cell_start[..nx * ny].to_vec();
        for (i, bb) in boxes.iter().enumerate() {
            let (x0, y0, x1, y1) = grid.range(bb);
            // nx, ny ≤ 2^16, so cell numbers fit.
            grid.first_cell.push([x0 as u16, y0 as u16]);
            for y in y0..=y1 {
                for x in x0..=x1 {
                    let slot = &mut next[y * nx + x];
                    grid.items[*slot as usize] = i as u32;
                    *slot += 1;
                }
            }
        }
        Some(grid)
    }

    /// The cell column of a longitude, clamped to the grid (truncation is the floor here: the
    /// value is positive, and no libm `floor` call sits on the hot path).
    #[inline]
    fn cell_x(&self, x: f64) -> usize {
        let c = (x - self.x0) * self.sx;
        if c >= self.nx as f64 {
            self.nx - 1
        } else if c > 0.0 {
            c as usize
        } else {
            0
        }
    }

    /// The cell row of a latitude, clamped to the grid.
    #[inline]
    fn cell_y(&self, y: f64) -> usize {
        let c = (y - self.y0) * self.sy;
        if c >= self.ny as f64 {
            self.ny - 1
        } else if c > 0.0 {
            c as usize
        } else {
            0
        }
    }

    /// Cells a box covers: (x0, y0, x1, y1), inclusive, clamped to the grid.
    #[inline]
    fn range(&self, b: &BBox) -> (usize, usize, usize, usize) {
        (
            self.cell_x(b[0]),
            self.cell_y(b[1]),
            self.cell_x(b[2]),
            self.cell_y(b[3]),
        )
    }

    #[inline]
    fn cell(&self, x: usize, y: usize) -> &[u32] {
        let c = y * self.nx + x;
        &self.items[self.cell_start[c] as usize..self.cell_start[c + 1] as usize]
    }

    /// Calls `visit` once with every item whose box (in `boxes`, as built) intersects `q`.
    #[inline]
    pub(crate) fn search(&self, q: &BBox, boxes: &[BBox], mut visit: impl FnMut(usize)) {
        let (qx0, qy0, qx1, qy1) = self.range(q);
        if qx0 == qx1 && qy0 == qy1 {
            for &i in self.cell(qx0, qy0) {
                if intersects(&boxes[i as usize], q) {
                    visit(i as usize);
                }
            }
            return;
        }
        for y in qy0..=qy1 {
            for x in qx0..=qx1 {
                for &i in self.cell(x, y) {
                    let i = i as usize;
                    // Reported only in the cell holding the lower-left corner of b ∩ q.
                    let [fx, fy] = self.first_cell[i];
                    if x == usize::from(fx).max(qx0)
                        && y == usize::from(fy).max(qy0)
                        && intersects(&boxes[i], q)
                    {
                        visit(i);
                    }
                }
            }
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn search_reports_exactly_the_intersecting_boxes_once_each() {
        // Boxes of mixed sizes, some spanning many cells, queried at many windows, against
        // brute force.
        let mut boxes = Vec::new();
        let mut seed = 7u64;
        let mut next = || {
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (seed >> 11) as f64 / (1u64 << 53) as f64
        };
        for _ in 0..2000 {
            let (x, y) = (39.8 + next() * 0.2, 59.15 + next() * 0.1);
            let (w, h) = (next().powi(3) * 0.02, next().powi(3) * 0.01);
            boxes.push([x, y, x + w, y + h]);
        }
        let grid = Grid::new(&boxes).unwrap();
        for _ in 0..500 {
            let (x, y) = (39.75 + next() * 0.3, 59.1 + next() * 0.2);
            let (w, h) = (next().powi(2) * 0.01, next().powi(2) * 0.005);
            for q in [[x, y, x, y], [x, y, x + w, y + h]] {
                let mut got = Vec::new();
                grid.search(&q, &boxes, |i| got.push(i));
                got.sort_unstable();
                let want: Vec<usize> = (0..boxes.len())
                    .filter(|&i| intersects(&boxes[i], &q))
                    .collect();
                assert_eq!(got, want, "query {q:?}");
            }
        }
    }

    #[test]
    fn crowded_or_empty_inputs_get_no_grid() {
        assert!(Grid::new(&[]).is_none());
        // Two dense clusters 10° apart: most cells would be empty and the clusters crowded.
        let mut boxes = Vec::new();
        for i in 0..1000 {
            let d = f64::from(i) * 1e-5;
            boxes.push([30.0 + d, 50.0 + d, 30.0 + d + 1e-4, 50.0 + d + 1e-4]);
            boxes.push([40.0 + d, 60.0 + d, 40.0 + d + 1e-4, 60.0 + d + 1e-4]);
        }
        assert!(Grid::new(&boxes).is_none());
        // One box is fine.
        let one = [[39.0, 59.0, 39.001, 59.001]];
        let grid = Grid::new(&one).unwrap();
        let mut got = Vec::new();
        grid.search(&[39.0005, 59.0005, 39.0005, 59.0005], &one, |i| got.push(i));
        assert_eq!(got, [0]);
    }
}
