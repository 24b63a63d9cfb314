//! A layered (Sugiyama-style) layout for DAGs, fast enough for thousands of
//! nodes: longest-path layers, barycenter ordering sweeps, then positions.
//!
//! Pure and deterministic: the same graph gives the same picture. Every
//! edge points down (from a lower layer to a higher one); nodes of a layer
//! never overlap.
//!
//! ```
//! let layout = model::layout::layered(3, &[(0, 1), (0, 2)], &model::layout::Spacing::default());
//! assert!(layout.nodes[1].y > layout.nodes[0].y);
//! ```

use serde::{Deserialize, Serialize};

/// Node size and gaps, in pixels.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Spacing {
    /// Node width.
    pub node_width: f32,
    /// Node height.
    pub node_height: f32,
    /// Horizontal gap between nodes of a layer.
    pub gap_x: f32,
    /// Vertical gap between layers.
    pub gap_y: f32,
}

impl Default for Spacing {
    fn default() -> Self {
        Self { node_width: 180.0, node_height: 40.0, gap_x: 24.0, gap_y: 48.0 }
    }
}

/// Where a node goes: its top-left corner and its layer.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Placed {
    /// Left edge.
    pub x: f32,
    /// Top edge.
    pub y: f32,
    /// Layer, 0 at the top.
    pub layer: u32,
}

/// A laid-out graph.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Layout {
    /// One per input node, in input order.
    pub nodes: Vec<Placed>,
    /// Width of the whole picture.
    pub width: f32,
    /// Height of the whole picture.
    pub height: f32,
}

/// Sweeps of barycenter ordering: each pass down then up. A few suffice
/// for readable pictures; more cost time on big graphs for little gain.
const SWEEPS: usize = 4;

/// Lays out `count` nodes joined by `edges` (`(from, to)` indices). Edges
/// out of range are ignored; nodes on a cycle are put below the rest.
pub fn layered(count: usize, edges: &[(usize, usize)], spacing: &Spacing) -> Layout {
    let edges: Vec<(usize, usize)> = edges.iter().copied().filter(|&(a, b)| a < count && b < count && a != b).collect();
    let layers = assign_layers(count, &edges);
    let mut rows = order_layers(count, &edges, &layers);
    for row in &mut rows {
        row.shrink_to_fit();
    }
    let widest = rows.iter().map(Vec::len).max().unwrap_or(0);
    let step_x = spacing.node_width + spacing.gap_x;
    let step_y = spacing.node_height + spacing.gap_y;
    let width = if widest == 0 { 0.0 } else { widest as f32 * step_x - spacing.gap_x };
    let mut nodes = vec![Placed { x: 0.0, y: 0.0, layer: 0 }; count];
    for (layer, row) in rows.iter().enumerate() {
        // Each layer is centered under the widest one.
        let row_width = row.len() as f32 * step_x - spacing.gap_x;
        let left = (width - row_width) / 2.0;
        for (position, &node) in row.iter().enumerate() {
            nodes[node] = Placed { x: left + position as f32 * step_x, y: layer as f32 * step_y, layer: layer as u32 };
        }
    }
    let height = if rows.is_empty() { 0.0 } else { rows.len() as f32 * step_y - spacing.gap_y };
    Layout { nodes, width, height }
}

/// Longest path from the sources: a node sits one below its lowest parent.
fn assign_layers(count: usize, edges: &[(usize, usize)]) -> Vec<usize> {
    let mut children = vec![Vec::new(); count];
    let mut indegree = vec![0usize; count];
    for &(a, b) in edges {
        children[a].push(b);
        indegree[b] += 1;
    }
    let mut layer = vec![0usize; count];
    let mut ready: std::collections::VecDeque<usize> = (0..count).filter(|&n| indegree[n] == 0).collect();
    let mut placed = vec![false; count];
    while let Some(node) = ready.pop_front() {
        placed[node] = true;
        for &child in &children[node] {
            layer[child] = layer[child].max(layer[node] + 1);
            indegree[child] -= 1;
            if indegree[child] == 0 {
                ready.push_back(child);
            }
        }
    }
    // Specs are checked for cycles before they get here; should one slip
    // through, its nodes go below everything rather than loop forever.
    let bottom = layer.iter().zip(&placed).filter(|(_, p)| **p).map(|(l, _)| *l).max().map_or(0, |l| l + 1);
    for node in 0..count {
        if !placed[node] {
            layer[node] = bottom;
        }
    }
    layer
}

/// Orders each layer to reduce crossings: nodes move toward the mean
/// position of their neighbours in the layer above, then below.
fn order_layers(count: usize, edges: &[(usize, usize)], layers: &[usize]) -> Vec<Vec<usize>> {
    let depth = layers.iter().max().map_or(0, |l| l + 1);
    let mut rows: Vec<Vec<usize>> = vec![Vec::new(); depth];
    for node in 0..count {
        rows[layers[node]].push(node);
    }
    let mut parents = vec![Vec::new(); count];
    let mut children = vec![Vec::new(); count];
    for &(a, b) in edges {
        parents[b].push(a);
        children[a].push(b);
    }
    let mut position = vec![0f32; count];
    for row in &rows {
        record_positions(row, &mut position);
    }
    for _ in 0..SWEEPS {
        for row in rows.iter_mut().skip(1) {
            sort_by_barycenter(row, &parents, &position);
            record_positions(row, &mut position);
        }
        for row in rows.iter_mut().rev().skip(1) {
            sort_by_barycenter(row, &children, &position);
            record_positions(row, &mut position);
        }
    }
    rows
}

fn record_positions(row: &[usize], position: &mut [f32]) {
    for (i, &n) in row.iter().enumerate() {
        position[n] = i as f32;
    }
}

fn sort_by_barycenter(row: &mut [usize], neighbours: &[Vec<usize>], position: &[f32]) {
    let key = |n: usize| {
        let near = &neighbours[n];
        if near.is_empty() { position[n] } else { near.iter().map(|&m| position[m]).sum::<f32>() / near.len() as f32 }
    };
    // Stable: ties keep their order, which keeps the result deterministic.
    row.sort_by(|&a, &b| key(a).total_cmp(&key(b)));
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn dag() -> impl Strategy<Value = (usize, Vec<(usize, usize)>)> {
        (1usize..60).prop_flat_map(|n| {
            let edges = proptest::collection::vec((0..n, 0..n), 0..n * 2)
                .prop_map(|pairs| pairs.into_iter().filter(|(a, b)| a < b).collect::<Vec<_>>());
            (Just(n), edges)
        })
    }

    proptest! {
        #[test]
        fn edges_point_down_and_nodes_never_overlap((n, edges) in dag()) {
            let spacing = Spacing::default();
            let layout = layered(n, &edges, &spacing);
            for &(a, b) in &edges {
                prop_assert!(layout.nodes[b].y > layout.nodes[a].y, "edge {a}->{b} points down");
            }
            for (i, p) in layout.nodes.iter().enumerate() {
                prop_assert!(p.x >= 0.0 && p.x + spacing.node_width <= layout.width + 0.01);
                prop_assert!(p.y >= 0.0 && p.y + spacing.node_height <= layout.height + 0.01);
                for q in &layout.nodes[i + 1..] {
                    let apart = (p.x - q.x).abs() >= spacing.node_width || (p.y - q.y).abs() >= spacing.node_height;
                    prop_assert!(apart, "{p:?} and {q:?} overlap");
                }
            }
        }

        #[test]
        fn the_same_graph_gives_the_same_picture((n, edges) in dag()) {
            let spacing = Spacing::default();
            prop_assert_eq!(layered(n, &edges, &spacing), layered(n, &edges, &spacing));
        }
    }

    #[test]
    fn a_diamond_is_three_layers_with_the_middle_side_by_side() {
        let layout = layered(4, &[(0, 1), (0, 2), (1, 3), (2, 3)], &Spacing::default());
        let layers: Vec<u32> = layout.nodes.iter().map(|p| p.layer).collect();
        assert_eq!(layers, [0, 1, 1, 2]);
        assert_eq!(layout.nodes[1].y, layout.nodes[2].y);
        assert_ne!(layout.nodes[1].x, layout.nodes[2].x);
        assert_eq!(layout.nodes[0].x, layout.nodes[3].x, "ends centered");
    }

    #[test]
    fn a_cycle_does_not_hang() {
        let layout = layered(3, &[(0, 1), (1, 2), (2, 1)], &Spacing::default());
        assert_eq!(layout.nodes.len(), 3);
    }
}
