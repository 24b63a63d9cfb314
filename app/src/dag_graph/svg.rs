//! The DAG drawn as SVG markup: one string for the edges and one for the
//! nodes, made once on the server and handed to the browser as it is.
//!
//! Thousands of nodes as components would each need hydrating (their
//! closures, memos and DOM walk) before the page answers; as markup they
//! cost the browser one parse. Live states are then applied to the
//! elements directly ([`super::live_states`]), and clicks are delegated to
//! the picture. Every text that came from a user is escaped here.

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

/// Draws `view`; nodes that open a task panel or a level link by `links`.
pub fn draw(view: &DagView, links: &NodeLinks) -> Picture {
    let spacing = Spacing::default();
    let mut edges = String::with_capacity(view.edges.len() * 64);
    for &(from, to) in &view.edges {
        let (a, b) = (view.layout.nodes[from], view.layout.nodes[to]);
        let (x1, y1) = (a.x + spacing.node_width / 2.0, a.y + spacing.node_height);
        let (x2, y2) = (b.x + spacing.node_width / 2.0, b.y);
        let mid = (y1 + y2) / 2.0;
        edges.push_str(&format!(r#"<path d="M{x1:.1} {y1:.1} C{x1:.1} {mid:.1} {x2:.1} {mid:.1} {x2:.1} {y2:.1}"/>"#));
    }
    let mut nodes = String::with_capacity(view.nodes.len() * 400);
    for (node, placed) in view.nodes.iter().zip(&view.layout.nodes) {
        let href = links.href(&view.scope, node);
        draw_node(&mut nodes, node, href.as_deref(), placed.x, placed.y, &spacing);
    }
    Picture {
        edges,
        nodes,
        width: view.layout.width.max(spacing.node_width),
        height: view.layout.height.max(spacing.node_height),
    }
}

fn draw_node(out: &mut String, node: &DagNode, href: Option<&str>, x: f32, y: f32, spacing: &Spacing) {
    let label: String = if node.name.chars().count() > MAX_LABEL_CHARS {
        node.name.chars().take(MAX_LABEL_CHARS - 1).chain(['\u{2026}']).collect()
    } else {
        node.name.clone()
    };
    let total: u32 = node.counts.iter().map(|(_, n)| n).sum();
    let detail = match node.kind {
        NodeKind::Loop => format!("\u{21bb} {total} iterations"),
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
        node_class(&node.state, href.is_some()),
        attr(&node.path)
    ));
    if let Some(href) = href {
        out.push_str(&format!(
            r#" data-href="{}" role="link" tabindex="0" aria-label="Open {}""#,
            attr(href),
            attr(&node.name)
        ));
    }
    let (w, h) = (spacing.node_width, spacing.node_height);
    out.push_str(&format!(
        r#"><title>{}</title><rect width="{w}" height="{h}" rx="6"/><circle class="dag-node__dot" cx="16" cy="{}" r="6"/><text class="dag-node__label" x="30" y="{}">{}</text><text class="dag-node__detail" x="30" y="32">{}</text><text class="dag-node__badge" x="{}" y="25" text-anchor="end">{}</text></g>"#,
        text(&tooltip),
        h / 2.0,
        if detail.is_empty() { 25.0 } else { 18.0 },
        text(&label),
        text(&detail),
        w - 8.0,
        badge(&node.state),
    ));
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
        DagView { scope: "root".into(), breadcrumbs: Vec::new(), nodes, edges, layout }
    }

    fn links() -> NodeLinks {
        NodeLinks { base: "/runs/r1?ns=default".into(), tasks: true }
    }

    #[test]
    fn hostile_names_are_escaped_in_text_and_attributes() {
        let evil = r#"<script>alert(1)</script>" onload="x"#;
        let picture = draw(&view(vec![node(evil, "RUNNING", Some("t1"))], Vec::new()), &links());
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
        let picture =
            draw(&view(vec![node("a", "SUCCEEDED", Some("t1")), node("b", "CACHED", None)], vec![(0, 1)]), &links());
        assert_eq!(picture.edges.matches("<path ").count(), 1);
        assert_eq!(picture.nodes.matches("<g ").count(), 2);
        assert!(picture.nodes.contains(r#"class="dag-node dag-node--succeeded dag-node__link""#));
        assert!(picture.nodes.contains(r#"data-href="/runs/r1?ns=default&amp;scope=root&amp;task=t1""#));
        assert!(picture.nodes.contains(r#"class="dag-node dag-node--cached""#));
        assert!(picture.nodes.contains(">cached</text>"));
    }

    #[test]
    fn long_names_are_cut_with_an_ellipsis_and_kept_whole_in_the_tooltip() {
        let long = "a-very-long-component-name-indeed";
        let picture = draw(&view(vec![node(long, "", None)], Vec::new()), &links());
        assert!(picture.nodes.contains(&format!("<title>{long}</title>")));
        assert!(picture.nodes.contains("a-very-long-component\u{2026}"));
    }

    #[test]
    fn empty_layout_still_has_a_size() {
        let picture = draw(&view(Vec::new(), Vec::new()), &links());
        assert!(picture.width > 0.0 && picture.height > 0.0);
    }
}
