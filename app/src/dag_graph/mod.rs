//! The DAG picture: nodes coloured by state, edges pointing down, laid out
//! on the server ([`model::layout`]), drawn as SVG markup ([`svg`]). The
//! viewport scrolls to pan; the zoom buttons scale the drawing. Live
//! states are applied to the node elements as they arrive; a click or
//! Enter on a node follows its `data-href`.

pub mod svg;

use std::collections::HashMap;

use leptos::prelude::*;
use model::dag::{DagNode, DagView};

pub use svg::state_class;

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
    let picture = svg::draw(&view, &links);
    let (width, height) = (picture.width, picture.height);
    let pad = 16.0;
    let view_box = format!("{} {} {} {}", -pad, -pad, width + 2.0 * pad, height + 2.0 * pad);
    let nodes_ref = NodeRef::<leptos::svg::G>::new();
    let drawn: HashMap<String, String> = view.nodes.iter().map(|n| (n.path.clone(), n.state.clone())).collect();
    live_states::follow(nodes_ref, drawn, live);
    let navigate = leptos_router::hooks::use_navigate();
    let on_key = navigate.clone();
    let breadcrumbs = view.breadcrumbs.into_iter().map(|(label, scope)| {
        let href = format!("{}&scope={}", links.base, encode(&scope));
        view! { <a href=href>{label}</a> " / " }
    });
    let here = view.scope.rsplit('/').next().unwrap_or(&view.scope).to_owned();
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
                    role="group"
                    aria-label="Pipeline graph"
                    on:click=move |ev| if let Some(href) = link_target(&ev) { navigate(&href, Default::default()) }
                    on:keydown=move |ev| if ev.key() == "Enter" && let Some(href) = link_target(&ev) { on_key(&href, Default::default()) }
                >
                    <g class="dag__edges" inner_html=picture.edges></g>
                    <g class="dag__nodes" node_ref=nodes_ref inner_html=picture.nodes></g>
                </svg>
            </div>
        </div>
    }
}

/// The `data-href` of the node an event happened in, if it has one.
fn link_target(event: &leptos::ev::Event) -> Option<String> {
    #[cfg(feature = "hydrate")]
    {
        use wasm_bindgen::JsCast;
        let target: web_sys::Element = event.target()?.dyn_into().ok()?;
        target.closest("[data-href]").ok()??.get_attribute("data-href")
    }
    #[cfg(not(feature = "hydrate"))]
    {
        let _ = event;
        None
    }
}

/// Applying live states to the drawn nodes.
mod live_states {
    use std::collections::HashMap;

    use leptos::prelude::*;

    /// Keeps the nodes under `nodes` coloured by `live` (path to state),
    /// touching only nodes whose state changed since `drawn`.
    pub fn follow(
        nodes: NodeRef<leptos::svg::G>,
        drawn: HashMap<String, String>,
        live: Signal<HashMap<String, String>>,
    ) {
        #[cfg(feature = "hydrate")]
        {
            let mut shown = drawn;
            let mut elements: Option<HashMap<String, web_sys::Element>> = None;
            Effect::new(move |_| {
                let Some(group) = nodes.get() else { return };
                live.with(|states| {
                    for (path, state) in states {
                        if shown.get(path) == Some(state) {
                            continue;
                        }
                        let elements = elements.get_or_insert_with(|| index(&group));
                        if let Some(element) = elements.get(path) {
                            paint(element, state);
                            shown.insert(path.clone(), state.clone());
                        }
                    }
                });
            });
        }
        #[cfg(not(feature = "hydrate"))]
        let _ = (nodes, drawn, live);
    }

    /// The node elements by path, found once.
    #[cfg(feature = "hydrate")]
    fn index(group: &web_sys::Element) -> HashMap<String, web_sys::Element> {
        use wasm_bindgen::JsCast;
        let mut found = HashMap::new();
        if let Ok(list) = group.query_selector_all("g[data-path]") {
            for i in 0..list.length() {
                if let Some(element) = list.item(i).and_then(|n| n.dyn_into::<web_sys::Element>().ok())
                    && let Some(path) = element.get_attribute("data-path")
                {
                    found.insert(path, element);
                }
            }
        }
        found
    }

    /// Recolours one node and its badge.
    #[cfg(feature = "hydrate")]
    fn paint(element: &web_sys::Element, state: &str) {
        let class = super::svg::node_class(state, element.has_attribute("data-href"));
        let _ = element.set_attribute("class", &class);
        if let Ok(Some(badge)) = element.query_selector(".dag-node__badge") {
            badge.set_text_content(Some(super::svg::badge(state)));
        }
    }
}
