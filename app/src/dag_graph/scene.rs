//! The drawn part of a DAG in the browser: redrawn for the scrolled-to
//! window (once per animation frame at most), and kept in its live states
//! by recolouring only the nodes whose state changed.

use std::collections::HashMap;

use leptos::prelude::*;
use model::dag::DagView;

use super::NodeLinks;

/// Elements the scene draws into.
#[derive(Clone, Copy)]
pub struct Targets {
    /// The scrolling viewport.
    pub viewport: NodeRef<leptos::html::Div>,
    /// The group of edges.
    pub edges: NodeRef<leptos::svg::G>,
    /// The group of nodes.
    pub nodes: NodeRef<leptos::svg::G>,
}

/// A DAG level shown in the browser. On the server it does nothing: the
/// first window is drawn into the page's markup.
#[derive(Clone, Copy)]
pub struct Scene {
    #[cfg(feature = "hydrate")]
    inner: StoredValue<browser::State, LocalStorage>,
    #[cfg(feature = "hydrate")]
    targets: Targets,
    #[cfg(feature = "hydrate")]
    live: Signal<HashMap<String, String>>,
    #[cfg(feature = "hydrate")]
    zoom: RwSignal<f32>,
}

impl Scene {
    /// A scene of `view` in `targets`, following `live` states and `zoom`.
    pub fn new(
        view: DagView,
        links: NodeLinks,
        targets: Targets,
        live: Signal<HashMap<String, String>>,
        zoom: RwSignal<f32>,
    ) -> Self {
        #[cfg(feature = "hydrate")]
        {
            let scene = Self { inner: StoredValue::new_local(browser::State::new(view, links)), targets, live, zoom };
            Effect::new(move |_| {
                scene.live.with(|states| scene.inner.update_value(|s| s.paint(targets.nodes, states)))
            });
            Effect::new(move |first: Option<()>| {
                zoom.track();
                if first.is_some() {
                    scene.redraw();
                }
            });
            scene
        }
        #[cfg(not(feature = "hydrate"))]
        {
            let _ = (view, links, targets, live, zoom);
            Self {}
        }
    }

    /// Replaces the level shown (e.g. the whole of one that arrived with
    /// only its first window) and draws it.
    pub fn replace(&self, view: DagView) {
        #[cfg(feature = "hydrate")]
        {
            self.inner.update_value(|s| s.view = view);
            self.redraw();
        }
        #[cfg(not(feature = "hydrate"))]
        let _ = view;
    }

    /// Redraws at the next animation frame (scrolling calls this often).
    pub fn schedule_redraw(&self) {
        #[cfg(feature = "hydrate")]
        {
            let first = self.inner.try_update_value(|s| !std::mem::replace(&mut s.frame_pending, true));
            if first == Some(true) {
                let scene = *self;
                request_animation_frame(move || {
                    scene.inner.update_value(|s| s.frame_pending = false);
                    scene.redraw();
                });
            }
        }
    }

    #[cfg(feature = "hydrate")]
    fn redraw(&self) {
        let Some(viewport) = self.targets.viewport.get_untracked() else { return };
        let zoom = self.zoom.get_untracked().max(0.01);
        let (width, height) = (viewport.client_width() as f32 / zoom, viewport.client_height() as f32 / zoom);
        let (left, top) =
            (viewport.scroll_left() as f32 / zoom - super::PAD, viewport.scroll_top() as f32 / zoom - super::PAD);
        // One screen more on every side, so short scrolls show drawn nodes.
        let window = super::svg::Window {
            left: left - width,
            top: top - height,
            right: left + 2.0 * width,
            bottom: top + 2.0 * height,
        };
        let targets = self.targets;
        self.live.with_untracked(|live| self.inner.update_value(|s| s.draw(targets, window, live)));
    }
}

#[cfg(feature = "hydrate")]
mod browser {
    use std::collections::HashMap;

    use leptos::prelude::*;
    use model::dag::DagView;
    use wasm_bindgen::JsCast;

    use super::{super::svg, NodeLinks, Targets};

    pub struct State {
        pub view: DagView,
        links: NodeLinks,
        /// The state each drawn node shows, by path.
        shown: HashMap<String, String>,
        /// The drawn node elements by path; found again after a redraw.
        elements: Option<HashMap<String, web_sys::Element>>,
        pub frame_pending: bool,
    }

    impl State {
        pub fn new(view: DagView, links: NodeLinks) -> Self {
            let shown = view.nodes.iter().map(|n| (n.path.clone(), n.state.clone())).collect();
            Self { view, links, shown, elements: None, frame_pending: false }
        }

        /// Draws the part of the view that meets `window`, in live states.
        pub fn draw(&mut self, targets: Targets, window: svg::Window, live: &HashMap<String, String>) {
            let (Some(edges), Some(nodes)) = (targets.edges.get_untracked(), targets.nodes.get_untracked()) else {
                return;
            };
            let picture = svg::draw(&self.view, &self.links, Some(window), live);
            edges.set_inner_html(&picture.edges);
            nodes.set_inner_html(&picture.nodes);
            // Drawn in their live states: only later changes need painting.
            self.shown = live.clone();
            self.elements = None;
        }

        /// Recolours the drawn nodes whose live state differs from what they show.
        pub fn paint(&mut self, nodes: NodeRef<leptos::svg::G>, live: &HashMap<String, String>) {
            let Some(group) = nodes.get_untracked() else { return };
            for (path, state) in live {
                if self.shown.get(path) == Some(state) {
                    continue;
                }
                let elements = self.elements.get_or_insert_with(|| index(&group));
                if let Some(element) = elements.get(path) {
                    let class = svg::node_class(state, element.has_attribute("data-href"));
                    let _ = element.set_attribute("class", &class);
                    if let Ok(Some(badge)) = element.query_selector(".dag-node__badge") {
                        badge.set_text_content(Some(svg::badge(state)));
                    }
                }
                self.shown.insert(path.clone(), state.clone());
            }
        }
    }

    /// The drawn node elements by path.
    fn index(group: &web_sys::Element) -> HashMap<String, web_sys::Element> {
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
}
