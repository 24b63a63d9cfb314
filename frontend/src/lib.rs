//! The browser entry point: hydrates the HTML the server rendered.

use wasm_bindgen::prelude::wasm_bindgen;

/// Called by the hydration script once the wasm module is loaded.
#[wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    leptos::mount::hydrate_body(app::App);
}
