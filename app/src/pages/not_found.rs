use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;

/// The page for paths that match no route; answered with status 404.
#[component]
pub fn NotFound() -> impl IntoView {
    #[cfg(feature = "ssr")]
    if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
        response.set_status(http::StatusCode::NOT_FOUND);
    }
    view! {
        <Title text="Page not found" />
        <section class="not-found">
            <p class="not-found__code">"404"</p>
            <h1>"Page not found"</h1>
            <p>"There is no page at this address. It may have moved, or the link may be mistyped."</p>
            <A href="/" attr:class="button">"Go to the home page"</A>
        </section>
    }
}
