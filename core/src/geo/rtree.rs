//! A static packed R-tree (sort-tile-recursive) over flat arrays of bounding boxes.
//!
//! The building index never changes after it is built or loaded, so a packed tree beats a
//! dynamic one: every level is one contiguous array of boxes, children of a node are the next
//! level's boxes at `index * NODE_SIZE ..`, and a query walks it with a small explicit stack and no
//! allocation. The tree is rebuilt from the footprints on load, so it is not part of the pack.

/// Children per node; 16 keeps a node's boxes within four cache lines.
const NODE_SIZE: usize = 16;

/// An axis-aligned box: min x, min y, max x, max y.
pub(crate) type BBox = [f64; 4];

/// A packed R-tree over items `0..n` given by their boxes.
#[derive(Debug, Clone, Default)]
pub(crate) struct PackedRTree {
    /// All levels, leaves first; level `l` is `boxes[level_start[l]..level_start[l + 1]]`.
    boxes: Vec<BBox>,
    level_start: Vec<usize>,
    /// Item id of each leaf box.
    items: Vec<u32>,
}

fn union(a: &BBox, b: &BBox) -> BBox {
    [
        a[0].min(b[0]),
        a[1].min(b[1]),
        a[2].max(b[2]),
        a[3].max(b[3]),
    ]
}

#[inline]
fn intersects(a: &BBox, q: &BBox) -> bool {
    a[0] <= q[2] && a[2] >= q[0] && a[1] <= q[3] && a[3] >= q[1]
}

impl PackedRTree {
    /// Builds the tree; item `i` has box `boxes[i]`.
    pub(crate) fn new(item_boxes: &[BBox]) -> Self {
        let n = item_boxes.len();
        let mut order: Vec<u32> = (0..n).map(|i| i as u32).collect();
        let cx = |i: u32| item_boxes[i as usize][0] + item_boxes[i as usize][2];
        let cy = |i: u32| item_boxes[i as usize][1] + item_boxes[i as usize][3];
        // STR: vertical slices by x, each sorted by y, cut into nodes.
        order.sort_by(|&a, &b| cx(a).total_cmp(&cx(b)));
        let leaves = n.div_ceil(NODE_SIZE);
        let slices = (leaves as f64).sqrt().ceil().max(1.0) as usize;
        let per_slice = (slices * NODE_SIZE).max(1);
        for slice in order.chunks_mut(per_slice) {
            slice.sort_by(|&a, &b| cy(a).total_cmp(&cy(b)));
        }
        let mut boxes: Vec<BBox> = order.iter().map(|&i| item_boxes[i as usize]).collect();
        let mut level_start = vec![0, boxes.len()];
        let mut start = 0;
        while boxes.len() - start > 1 {
            let end = boxes.len();
            let mut i = start;
            while i < end {
                let stop = (i + NODE_SIZE).min(end);
                let mut b = boxes[i];
                for child in &boxes[i + 1..stop] {
                    b = union(&b, child);
                }
                boxes.push(b);
                i = stop;
            }
            start = end;
            level_start.push(boxes.len());
        }
        Self {
            boxes,
            level_start,
            items: order,
        }
    }

    /// Calls `visit` with every item whose box intersects `q` (a point query is a zero-size box).
    #[inline]
    pub(crate) fn search(&self, q: &BBox, mut visit: impl FnMut(usize)) {
        let levels = self.level_start.len() - 1;
        if self.items.is_empty() {
            return;
        }
        // (level, node index within the level); depth × fan-out bounds the stack.
        let mut stack: Vec<(usize, usize)> = Vec::new();
        let mut small = [(0usize, 0usize); 128];
        let mut top = 0;
        let root_level = levels - 1;
        if !intersects(&self.boxes[self.boxes.len() - 1], q) {
            return;
        }
        small[0] = (root_level, 0);
        top += 1;
        loop {
            let (level, node) = if top > 0 {
                top -= 1;
                small[top]
            } else if let Some(x) = stack.pop() {
                x
            } else {
                return;
            };
            if level == 0 {
                visit(self.items[node] as usize);
                continue;
            }
            let child_level = level - 1;
            let base = self.level_start[child_level];
            let count = self.level_start[child_level + 1] - base;
            let first = node * NODE_SIZE;
            let last = (first + NODE_SIZE).min(count);
            for c in first..last {
                if intersects(&self.boxes[base + c], q) {
                    if child_level == 0 {
                        visit(self.items[c] as usize);
                    } else if top < small.len() {
                        small[top] = (child_level, c);
                        top += 1;
                    } else {
                        stack.push((child_level, c));
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn search_finds_exactly_the_boxes_that_intersect_the_query() {
        // A 40×40 grid of unit boxes with gaps, queried at many windows, against brute force.
        let mut items = Vec::new();
        for x in 0..40 {
            for y in 0..40 {
                let (x, y) = (f64::from(x) * 1.5, f64::from(y) * 1.5);
                items.push([x, y, x + 1.0, y + 1.0]);
            }
        }
        let tree = PackedRTree::new(&items);
        for q in [
            [0.5, 0.5, 0.5, 0.5],
            [1.2, 1.2, 1.3, 1.3],
            [10.0, 3.0, 20.0, 4.0],
            [-5.0, -5.0, 100.0, 100.0],
            [59.0, 59.0, 59.5, 59.5],
        ] {
            let mut got = Vec::new();
            tree.search(&q, |i| got.push(i));
            got.sort_unstable();
            let want: Vec<usize> = (0..items.len())
                .filter(|&i| intersects(&items[i], &q))
                .collect();
            assert_eq!(got, want, "query {q:?}");
        }
        let empty = PackedRTree::new(&[]);
        empty.search(&[0.0, 0.0, 1.0, 1.0], |_| {
            panic!("empty tree visited an item")
        });
    }
}
