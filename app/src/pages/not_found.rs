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

/// What a detail page shows for an id that names nothing (answered 404
/// when rendered on the server): what is missing and a way back to the list.
#[component]
pub fn Missing(
    /// What was asked for, capitalized: "Run".
    what: &'static str,
    /// The list it belongs to: "/runs".
    list: &'static str,
    /// The list's name: "runs".
    list_name: &'static str,
    /// The server's message, naming the id.
    message: String,
) -> impl IntoView {
    #[cfg(feature = "ssr")]
    if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
        response.set_status(http::StatusCode::NOT_FOUND);
    }
    let namespace = crate::namespace::use_namespace();
    view! {
        <Title text=format!("{what} not found") />
        <section class="not-found" data-testid="missing">
            <p class="not-found__code">"404"</p>
            <h1>{format!("{what} not found")}</h1>
            <p>{message}</p>
            <A href=move || format!("{list}?ns={}", namespace.get()) attr:class="button">{format!("All {list_name}")}</A>
        </section>
    }
}
