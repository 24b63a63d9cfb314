//! The DAG drawn as SVG markup: one string for the edges and one for the
//! nodes, made once on the server and handed to the browser as it is.
//!
//! Thousands of nodes as components would each need hydrating (their
//! closures, memos and DOM walk) before the page answers; as markup they
//! cost the browser one parse. Live states are then applied to the
//! elements directly ([`super::live_states`]), and clicks are delegated to
//! the picture. Every text that came from a user is escaped here.

use std::collections::HashMap;

use html_escape::{encode_double_quoted_attribute as attr, encode_text as text};
use model::{
    dag::{DagNode, DagView, NodeKind},
    layout::Spacing,
};

use super::NodeLinks;

/// Longest name drawn in a node; longer ones are cut (the full name is the
/// node's tooltip and in the task table).
const MAX_LABEL_CHARS: usize = 22;

/// A level of a DAG as SVG markup.
#[derive(Clone, Debug, PartialEq)]
pub struct Picture {
    /// The edges' `<path>` elements.
    pub edges: String,
    /// The nodes' `<g>` elements, each with `data-path` (and `data-href`
    /// when it opens something).
    pub nodes: String,
    /// Drawing width.
    pub width: f32,
    /// Drawing height.
    pub height: f32,
}

/// A rectangle of the drawing, in its coordinates: only what meets it is
/// drawn, so a graph of thousands of nodes puts a screenful in the page.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Window {
    /// Left edge.
    pub left: f32,
    /// Top edge.
    pub top: f32,
    /// Right edge.
    pub right: f32,
    /// Bottom edge.
    pub bottom: f32,
}

impl Window {
    /// What the server draws before it knows the screen: a large laptop
    /// screen's worth at 100% from the top left, and as much again.
    pub const FIRST: Window = Window { left: -100.0, top: -100.0, right: 3200.0, bottom: 2000.0 };

    fn meets(&self, left: f32, top: f32, right: f32, bottom: f32) -> bool {
        left <= self.right && right >= self.left && top <= self.bottom && bottom >= self.top
    }
}

/// Draws what of `view` meets `window` (everything when `None`), each
/// node in its `live` state when there is one; nodes that open a task
/// panel or a level link by `links`.
pub fn draw(view: &DagView, links: &NodeLinks, window: Option<Window>, live: &HashMap<String, String>) -> Picture {
    let spacing = Spacing::default();
    let window = window.unwrap_or(Window { left: f32::MIN, top: f32::MIN, right: f32::MAX, bottom: f32::MAX });
    let mut edges = String::new();
    for &(from, to) in &view.edges {
        let (a, b) = (view.layout.nodes[from], view.layout.nodes[to]);
        let (x1, y1) = (a.x + spacing.node_width / 2.0, a.y + spacing.node_height);
        let (x2, y2) = (b.x + spacing.node_width / 2.0, b.y);
        if !window.meets(x1.min(x2), y1.min(y2), x1.max(x2), y1.max(y2)) {
            continue;
        }
        let mid = (y1 + y2) / 2.0;
        edges.push_str(&format!(r#"<path d="M{x1:.1} {y1:.1} C{x1:.1} {mid:.1} {x2:.1} {mid:.1} {x2:.1} {y2:.1}"/>"#));
    }
    let mut nodes = String::new();
    for (node, placed) in view.nodes.iter().zip(&view.layout.nodes) {
        if !window.meets(placed.x, placed.y, placed.x + spacing.node_width, placed.y + spacing.node_height) {
            continue;
        }
        let href = links.href(&view.scope, node);
        let state = live.get(&node.path).unwrap_or(&node.state);
        draw_node(&mut nodes, node, state, href.as_deref(), placed.x, placed.y, &spacing);
    }
    Picture {
        edges,
        nodes,
        width: view.layout.width.max(spacing.node_width),
        height: view.layout.height.max(spacing.node_height),
    }
}

/// Whether an iteration in `state` has ended, one way or another.
fn is_done(state: &str) -> bool {
    !matches!(state, "RUNNING" | "PENDING" | "")
}

fn draw_node(out: &mut String, node: &DagNode, state: &str, href: Option<&str>, x: f32, y: f32, spacing: &Spacing) {
    let label: String = if node.name.chars().count() > MAX_LABEL_CHARS {
        node.name.chars().take(MAX_LABEL_CHARS - 1).chain(['\u{2026}']).collect()
    } else {
        node.name.clone()
    };
    let total: u32 = node.counts.iter().map(|(_, n)| n).sum();
    let detail = match node.kind {
        NodeKind::Loop if total == 0 && state.is_empty() => "\u{21bb} for each item".to_owned(),
        NodeKind::Loop => {
            let done: u32 = node.counts.iter().filter(|(s, _)| is_done(s)).map(|(_, n)| n).sum();
            format!("\u{21bb} {done}/{total} iterations")
        }
        NodeKind::Dag => format!("\u{25a6} {total} tasks"),
        NodeKind::Container if node.attempts > 1 => format!("\u{21ba} {} attempts", node.attempts),
        NodeKind::Container => String::new(),
    };
    let tooltip = if node.counts.is_empty() {
        node.name.clone()
    } else {
        let counts: Vec<String> = node.counts.iter().map(|(s, n)| format!("{n} {}", s.to_lowercase())).collect();
        format!("{} ({})", node.name, counts.join(", "))
    };
    out.push_str(&format!(
        r#"<g class="{}" transform="translate({x:.1} {y:.1})" data-path="{}""#,
        node_class(state, href.is_some()),
        attr(&node.path)
    ));
    if let Some(href) = href {
        out.push_str(&format!(
            r#" data-href="{}" role="link" tabindex="0" aria-label="Open {}""#,
            attr(href),
            attr(&node.name)
        ));
    }
    // Thousands of these make up the page: no attribute CSS can carry.
    let (w, h) = (spacing.node_width, spacing.node_height);
    out.push_str(&format!(
        r#"><title>{}</title><rect width="{w}" height="{h}" rx="6"/><circle class="dag-node__dot" cx="16" cy="{}" r="6"/><text class="dag-node__label" x="30" y="{}">{}</text>"#,
        text(&tooltip),
        h / 2.0,
        if detail.is_empty() { 25.0 } else { 18.0 },
        text(&label),
    ));
    if !detail.is_empty() {
        out.push_str(&format!(r#"<text class="dag-node__detail" x="30" y="32">{}</text>"#, text(&detail)));
    }
    out.push_str(&format!(r#"<text class="dag-node__badge" x="{}" y="25">{}</text></g>"#, w - 8.0, badge(state)));
}

/// The `class` of a node in `state`.
pub fn node_class(state: &str, link: bool) -> String {
    let link = if link { " dag-node__link" } else { "" };
    format!("dag-node dag-node--{}{link}", state_class(state))
}

/// The CSS modifier of a state.
pub fn state_class(state: &str) -> &'static str {
    match state {
        "SUCCEEDED" => "succeeded",
        "FAILED" | "LOST" => "failed",
        "RUNNING" => "running",
        "CACHED" => "cached",
        "SKIPPED" => "skipped",
        "CANCELED" => "canceled",
        "PENDING" => "pending",
        _ => "idle",
    }
}

/// A short mark for states that need one beside the colour.
pub fn badge(state: &str) -> &'static str {
    match state {
        "CACHED" => "cached",
        "SKIPPED" => "skipped",
        "LOST" => "lost",
        _ => "",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn node(name: &str, state: &str, task_id: Option<&str>) -> DagNode {
        DagNode {
            path: format!("root/{name}"),
            name: name.to_owned(),
            kind: NodeKind::Container,
            state: state.to_owned(),
            task_id: task_id.map(str::to_owned),
            attempts: 1,
            counts: Vec::new(),
            opens: None,
        }
    }

    fn view(nodes: Vec<DagNode>, edges: Vec<(usize, usize)>) -> DagView {
        let layout = model::layout::layered(nodes.len(), &edges, &Spacing::default());
        DagView { scope: "root".into(), breadcrumbs: Vec::new(), nodes, edges, layout, title: "pipeline".into() }
    }

    fn links() -> NodeLinks {
        NodeLinks { base: "/runs/r1?ns=default".into(), tasks: true }
    }

    #[test]
    fn hostile_names_are_escaped_in_text_and_attributes() {
        let evil = r#"<script>alert(1)</script>" onload="x"#;
        let picture = draw(&view(vec![node(evil, "RUNNING", Some("t1"))], Vec::new()), &links(), None, &HashMap::new());
        assert!(!picture.nodes.contains("<script>"), "{}", picture.nodes);
        // In attributes the quote is escaped too, so nothing closes them early.
        assert!(
            picture.nodes.contains(r#"data-path="root/&lt;script&gt;alert(1)&lt;/script&gt;&quot; onload=&quot;x""#)
        );
        assert!(
            picture.nodes.contains(r#"aria-label="Open &lt;script&gt;alert(1)&lt;/script&gt;&quot; onload=&quot;x""#)
        );
        assert!(picture.nodes.contains("<title>&lt;script&gt;alert(1)&lt;/script&gt;"));
    }

    #[test]
    fn every_node_and_edge_is_drawn_with_its_state_and_link() {
        let picture = draw(
            &view(vec![node("a", "SUCCEEDED", Some("t1")), node("b", "CACHED", None)], vec![(0, 1)]),
            &links(),
            None,
            &HashMap::new(),
        );
        assert_eq!(picture.edges.matches("<path ").count(), 1);
        assert_eq!(picture.nodes.matches("<g ").count(), 2);
        assert!(picture.nodes.contains(r#"class="dag-node dag-node--succeeded dag-node__link""#));
        assert!(picture.nodes.contains(r#"data-href="/runs/r1?ns=default&amp;scope=root&amp;task=t1""#));
        assert!(picture.nodes.contains(r#"class="dag-node dag-node--cached""#));
        assert!(picture.nodes.contains(">cached</text>"));
    }

    #[test]
    fn only_what_meets_the_window_is_drawn_and_live_states_win() {
        let nodes: Vec<DagNode> = (0..100).map(|i| node(&format!("n{i}"), "PENDING", Some("t"))).collect();
        let edges: Vec<(usize, usize)> = (1..100).map(|i| (0, i)).collect();
        let view = view(nodes, edges);
        let whole = draw(&view, &links(), None, &HashMap::new());
        assert_eq!(whole.nodes.matches("<g ").count(), 100);
        let live = HashMap::from([("root/n1".to_owned(), "FAILED".to_owned())]);
        let part = draw(&view, &links(), Some(Window::FIRST), &live);
        let drawn = part.nodes.matches("<g ").count();
        assert!(drawn > 1 && drawn < 30, "{drawn} of 100 nodes drawn");
        assert!(part.edges.matches("<path ").count() < 30);
        assert!(part.nodes.contains("dag-node--failed"), "the live state is drawn");
        assert_eq!((part.width, part.height), (whole.width, whole.height), "the drawing keeps its whole size");
    }

    #[test]
    fn long_names_are_cut_with_an_ellipsis_and_kept_whole_in_the_tooltip() {
        let long = "a-very-long-component-name-indeed";
        let picture = draw(&view(vec![node(long, "", None)], Vec::new()), &links(), None, &HashMap::new());
        assert!(picture.nodes.contains(&format!("<title>{long}</title>")));
        assert!(picture.nodes.contains("a-very-long-component\u{2026}"));
    }

    #[test]
    fn empty_layout_still_has_a_size() {
        let picture = draw(&view(Vec::new(), Vec::new()), &links(), None, &HashMap::new());
        assert!(picture.width > 0.0 && picture.height > 0.0);
    }
}
