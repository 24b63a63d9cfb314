//! The DAG picture: nodes coloured by state, edges pointing down, laid out
//! on the server ([`model::layout`]), drawn as SVG. The viewport scrolls to
//! pan; the zoom buttons scale the drawing.

use std::collections::HashMap;

use leptos::prelude::*;
use model::{
    dag::{DagNode, DagView, NodeKind},
    layout::Spacing,
};

/// Longest name drawn in a node; longer ones are cut (the full name is the
/// node's tooltip and in the task table).
const MAX_LABEL_CHARS: usize = 22;

/// How a node links: to its task's panel, or into the level it opens.
#[derive(Clone, Debug)]
pub struct NodeLinks {
    /// The page's path and query without `task`/`scope`, e.g. `/runs/1?ns=default`.
    pub base: String,
    /// Whether container nodes link to a task panel (runs; not pipelines).
    pub tasks: bool,
}

impl NodeLinks {
    fn href(&self, scope: &str, node: &DagNode) -> Option<String> {
        if let Some(opens) = &node.opens {
            return Some(format!("{}&scope={}", self.base, encode(opens)));
        }
        match (&node.task_id, self.tasks) {
            (Some(id), true) => Some(format!("{}&scope={}&task={id}", self.base, encode(scope))),
            _ => None,
        }
    }
}

/// Percent-encodes what a path segment may hold in a query value.
pub fn encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'/' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// One level of a DAG. `live` overrides node states by task path as
/// updates arrive.
#[component]
pub fn DagGraph(view: DagView, links: NodeLinks, #[prop(into)] live: Signal<HashMap<String, String>>) -> impl IntoView {
    let zoom = RwSignal::new(1.0f32);
    let spacing = Spacing::default();
    let (width, height) = (view.layout.width.max(spacing.node_width), view.layout.height.max(spacing.node_height));
    let pad = 16.0;
    let view_box = format!("{} {} {} {}", -pad, -pad, width + 2.0 * pad, height + 2.0 * pad);
    let edges = view
        .edges
        .iter()
        .map(|&(from, to)| {
            let (a, b) = (view.layout.nodes[from], view.layout.nodes[to]);
            let (x1, y1) = (a.x + spacing.node_width / 2.0, a.y + spacing.node_height);
            let (x2, y2) = (b.x + spacing.node_width / 2.0, b.y);
            let mid = (y1 + y2) / 2.0;
            let d = format!("M{x1:.1} {y1:.1} C{x1:.1} {mid:.1} {x2:.1} {mid:.1} {x2:.1} {y2:.1}");
            view! { <path d=d /> }
        })
        .collect_view();
    let scope = view.scope.clone();
    let nodes = view
        .nodes
        .into_iter()
        .zip(view.layout.nodes)
        .map(|(node, placed)| {
            let href = links.href(&scope, &node);
            view! { <GraphNode node href x=placed.x y=placed.y live /> }
        })
        .collect_view();
    let breadcrumbs = view.breadcrumbs.into_iter().map(|(label, scope)| {
        let href = format!("{}&scope={}", links.base, encode(&scope));
        view! { <a href=href>{label}</a> " / " }
    });
    let here = scope.rsplit('/').next().unwrap_or(&scope).to_owned();
    view! {
        <div class="dag" data-testid="dag">
            <div class="dag__toolbar">
                <nav class="dag__crumbs" aria-label="Pipeline level">{breadcrumbs.collect_view()}<span>{here}</span></nav>
                <span class="dag__zoom">
                    <button class="button button--small" type="button" aria-label="Zoom out" on:click=move |_| zoom.update(|z| *z = (*z / 1.25).max(0.1))>"\u{2212}"</button>
                    <button class="button button--small" type="button" aria-label="Actual size" on:click=move |_| zoom.set(1.0)>{move || format!("{:.0}%", zoom.get() * 100.0)}</button>
                    <button class="button button--small" type="button" aria-label="Zoom in" on:click=move |_| zoom.update(|z| *z = (*z * 1.25).min(4.0))>"+"</button>
                </span>
            </div>
            <div class="dag__viewport" tabindex="0" aria-label="DAG; scroll to pan">
                <svg
                    class="dag__svg"
                    viewBox=view_box
                    width=move || format!("{:.0}", (width + 2.0 * pad) * zoom.get())
                    height=move || format!("{:.0}", (height + 2.0 * pad) * zoom.get())
                    role="img"
                    aria-label="Pipeline graph"
                >
                    <g class="dag__edges">{edges}</g>
                    <g class="dag__nodes">{nodes}</g>
                </svg>
            </div>
        </div>
    }
}

#[component]
fn GraphNode(
    node: DagNode,
    href: Option<String>,
    x: f32,
    y: f32,
    live: Signal<HashMap<String, String>>,
) -> impl IntoView {
    let spacing = Spacing::default();
    let base_state = node.state.clone();
    let path = node.path.clone();
    let state = Memo::new(move |_| live.with(|l| l.get(&path).cloned()).unwrap_or_else(|| base_state.clone()));
    let class = move || format!("dag-node dag-node--{}", state_class(&state.get()));
    let label: String = if node.name.chars().count() > MAX_LABEL_CHARS {
        node.name.chars().take(MAX_LABEL_CHARS - 1).chain(['\u{2026}']).collect()
    } else {
        node.name.clone()
    };
    let detail = match node.kind {
        NodeKind::Loop => {
            let total: u32 = node.counts.iter().map(|(_, n)| n).sum();
            format!("\u{21bb} {total} iterations")
        }
        NodeKind::Dag => format!("\u{25a6} {} tasks", node.counts.iter().map(|(_, n)| n).sum::<u32>()),
        NodeKind::Container if node.attempts > 1 => format!("\u{21ba} {} attempts", node.attempts),
        NodeKind::Container => String::new(),
    };
    let tooltip = {
        let name = node.name.clone();
        let counts: Vec<String> = node.counts.iter().map(|(s, n)| format!("{n} {}", s.to_lowercase())).collect();
        move || {
            let s = state.get();
            let s = if s.is_empty() { "not run".to_owned() } else { s.to_lowercase() };
            if counts.is_empty() { format!("{name}: {s}") } else { format!("{name}: {s} ({})", counts.join(", ")) }
        }
    };
    let badge = move || badge(&state.get());
    let aria_label = format!("Open {}", node.name);
    let body = view! {
        <g class=class transform=format!("translate({x:.1} {y:.1})") data-path=node.path.clone()>
            <title>{tooltip}</title>
            <rect width=spacing.node_width height=spacing.node_height rx="6" />
            <circle class="dag-node__dot" cx="16" cy=spacing.node_height / 2.0 r="6" />
            <text class="dag-node__label" x="30" y=if detail.is_empty() { 25.0 } else { 18.0 }>{label}</text>
            <text class="dag-node__detail" x="30" y="32">{detail}</text>
            <text class="dag-node__badge" x=spacing.node_width - 8.0 y="25" text-anchor="end">{badge}</text>
        </g>
    };
    // An `<a>` inside SVG is created in the HTML namespace when the view is
    // built in the browser, and its children then draw nothing; the node
    // is a focusable link by role instead.
    match href {
        Some(href) => {
            let navigate = leptos_router::hooks::use_navigate();
            let (on_click, on_key) = (navigate.clone(), navigate);
            let (click_href, key_href) = (href.clone(), href);
            view! {
                <g class="dag-node__link" role="link" tabindex="0" aria-label=aria_label
                    on:click=move |_| on_click(&click_href, Default::default())
                    on:keydown=move |ev| if ev.key() == "Enter" { on_key(&key_href, Default::default()) }>
                    {body}
                </g>
            }
            .into_any()
        }
        None => body.into_any(),
    }
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
fn badge(state: &str) -> &'static str {
    match state {
        "CACHED" => "cached",
        "SKIPPED" => "skipped",
        "LOST" => "lost",
        _ => "",
    }
}
