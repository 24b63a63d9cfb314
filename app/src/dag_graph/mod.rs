//! The DAG picture: nodes coloured by state, edges pointing down, laid out
//! on the server ([`model::layout`]), drawn as SVG markup ([`svg`]) for the
//! window in view ([`scene`]). The viewport scrolls to pan; the zoom
//! buttons scale the drawing. Live states are applied to the node elements
//! as they arrive; a click or Enter on a node follows its `data-href`.

mod scene;
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
        if node.kind == model::dag::NodeKind::Loop && self.tasks {
            // A loop of single steps: its iterations to pick from.
            return Some(format!("{}&scope={}&loop={}", self.base, encode(scope), encode(&node.path)));
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

/// Space around the drawing, in its units.
const PAD: f32 = 16.0;

/// Tallest the viewport grows (its CSS `max-height`), in pixels.
const VIEWPORT_MAX_HEIGHT: f32 = 620.0;

/// Smallest zoom a level opens at: a level of thousands of nodes opens
/// readable, and "Fit" shows all of it.
const OPENING_ZOOM: f32 = 0.5;

/// The zoom that shows a `width` x `height` drawing (padding included)
/// whole in a viewport `available` pixels wide, never above actual size.
pub fn fitted_zoom(width: f32, height: f32, available: f32) -> f32 {
    let (w, h) = (width + 2.0 * PAD, height + 2.0 * PAD);
    (available / w).min(VIEWPORT_MAX_HEIGHT / h).clamp(0.1, 1.0)
}

/// One level of a DAG. `live` overrides node states by task path as
/// updates arrive. When `view` came without its nodes (a big level, sent
/// to the browser as its first window only), `whole` brings it later.
#[component]
pub fn DagGraph(
    view: DagView,
    links: NodeLinks,
    #[prop(into)] live: Signal<HashMap<String, String>>,
    #[prop(default = None)] whole: Option<Signal<Option<DagView>>>,
) -> impl IntoView {
    let zoom = RwSignal::new(1.0f32);
    let picture = svg::draw(&view, &links, Some(svg::Window::FIRST), &HashMap::new());
    let (width, height) = (picture.width, picture.height);
    let view_box = format!("{} {} {} {}", -PAD, -PAD, width + 2.0 * PAD, height + 2.0 * PAD);
    let targets = scene::Targets { viewport: NodeRef::new(), edges: NodeRef::new(), nodes: NodeRef::new() };
    let breadcrumbs: Vec<_> = view
        .breadcrumbs
        .iter()
        .map(|(label, scope)| (label.clone(), format!("{}&scope={}", links.base, encode(scope))))
        .collect();
    let here = view.title.clone();
    let scene = scene::Scene::new(view, links, targets, live, zoom);
    if let Some(whole) = whole {
        Effect::new(move |_| {
            if let Some(view) = whole.get() {
                scene.replace(view);
            }
        });
    }
    let fit = move |floor: f32| {
        // A viewport not laid out yet (width 0) says nothing about the fit.
        if let Some(viewport) = targets.viewport.get_untracked().filter(|v| v.client_width() > 0) {
            zoom.set(fitted_zoom(width, height, viewport.client_width() as f32).max(floor));
        }
    };
    // The level opens fitted to its window (once the browser knows its size).
    Effect::new(move |_| {
        if targets.viewport.get().is_some() {
            fit(OPENING_ZOOM);
        }
    });
    let navigate = leptos_router::hooks::use_navigate();
    let on_key = navigate.clone();
    view! {
        <div class="dag" data-testid="dag">
            <div class="dag__toolbar">
                <nav class="dag__crumbs" aria-label="Pipeline level">
                    {breadcrumbs.into_iter().map(|(label, href)| view! { <a href=href>{label}</a> " / " }).collect_view()}
                    <span>{here}</span>
                </nav>
                <span class="dag__zoom">
                    <button class="button button--small" type="button" aria-label="Zoom out" on:click=move |_| zoom.update(|z| *z = (*z / 1.25).max(0.1))>"\u{2212}"</button>
                    <button class="button button--small" type="button" title="Back to actual size" on:click=move |_| zoom.set(1.0)>{move || format!("{:.0}%", zoom.get() * 100.0)}</button>
                    <button class="button button--small" type="button" aria-label="Zoom in" on:click=move |_| zoom.update(|z| *z = (*z * 1.25).min(4.0))>"+"</button>
                    <button class="button button--small" type="button" aria-label="Fit the graph to its window" data-testid="fit"
                        on:click=move |_| fit(0.1)>"Fit"</button>
                </span>
            </div>
            <div class="dag__viewport" tabindex="0" aria-label="DAG; scroll to pan" node_ref=targets.viewport
                on:scroll=move |_| scene.schedule_redraw()>
                <svg
                    class="dag__svg"
                    viewBox=view_box
                    width=move || format!("{:.0}", (width + 2.0 * PAD) * zoom.get())
                    height=move || format!("{:.0}", (height + 2.0 * PAD) * zoom.get())
                    role="group"
                    aria-label="Pipeline graph"
                    on:click=move |ev| if let Some(href) = link_target(&ev) { navigate(&href, Default::default()) }
                    on:keydown=move |ev| if ev.key() == "Enter" && let Some(href) = link_target(&ev) { on_key(&href, Default::default()) }
                >
                    <g class="dag__edges" node_ref=targets.edges inner_html=picture.edges></g>
                    <g class="dag__nodes" node_ref=targets.nodes inner_html=picture.nodes></g>
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_drawing_is_fitted_to_its_window_never_enlarged() {
        assert_eq!(fitted_zoom(300.0, 200.0, 1000.0), 1.0, "a small level stays at actual size");
        let wide = fitted_zoom(2000.0 - 2.0 * PAD, 100.0, 1000.0);
        assert!((wide - 0.5).abs() < 1e-6, "{wide}");
        let tall = fitted_zoom(100.0, 1240.0 - 2.0 * PAD, 1000.0);
        assert!((tall - 0.5).abs() < 1e-6, "{tall}");
        assert_eq!(fitted_zoom(1e6, 1e6, 1000.0), 0.1, "thousands of nodes: no smaller than a tenth");
    }
}
