//! Line icons drawn inline as SVG (24×24, stroked), so no icon font or
//! extra request is needed and the CSP stays strict.

use leptos::prelude::*;

fn path_of(name: &str) -> &'static str {
    match name {
        "home" => "M3 11l9-7 9 7v9a1 1 0 0 1-1 1h-5v-6h-6v6H4a1 1 0 0 1-1-1z",
        "notebook" => "M6 3h11a2 2 0 0 1 2 2v14a2 2 0 0 1-2 2H6zM6 3v18M10 8h6M10 12h6",
        "pipeline" => "M5 5h4v4H5zM15 5h4v4h-4zM10 15h4v4h-4zM7 9v2a2 2 0 0 0 2 2h6a2 2 0 0 0 2-2V9M12 13v2",
        "experiment" => "M9 3h6M10 3v6l-5 9a2 2 0 0 0 2 3h10a2 2 0 0 0 2-3l-5-9V3M7.5 14h9",
        "run" => "M7 4l12 8-12 8z",
        "recurring" => "M4 12a8 8 0 0 1 14-5.3M20 12a8 8 0 0 1-14 5.3M18 3v4h-4M6 21v-4h4",
        "template" => "M4 4h16v5H4zM4 13h7v7H4zM15 13h5v7h-5z",
        "artifact" => "M4 7l8-4 8 4v10l-8 4-8-4zM4 7l8 4 8-4M12 11v10",
        "gauge" => "M4 18a8 8 0 1 1 16 0M12 18l4-6",
        "activity" => "M3 12h4l3-8 4 16 3-8h4",
        "error" => "M12 3l10 18H2zM12 10v4M12 17v.5",
        _ => "M4 4h16v16H4z",
    }
}

/// A named icon; unknown names draw a square.
#[component]
pub fn Icon(name: &'static str) -> impl IntoView {
    view! {
        <svg class="icon" viewBox="0 0 24 24" width="20" height="20" aria-hidden="true" fill="none"
             stroke="currentColor" stroke-width="1.8" stroke-linecap="round" stroke-linejoin="round">
            <path d=path_of(name) />
        </svg>
    }
}
