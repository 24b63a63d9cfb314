//! What surrounds every page: the HTML document, navigation, header.

mod document;
mod icon;
mod kfp_links;
mod nav;
mod theme;

use leptos::prelude::*;

#[cfg(feature = "ssr")]
pub use document::content_security_policy;
pub use document::shell;
pub use icon::Icon;

use crate::{
    live::use_live_events,
    namespace::{NamespaceSelector, use_invalid_namespace},
};

/// Sidebar, header and the page in between.
#[component]
pub fn Layout(children: Children) -> impl IntoView {
    view! {
        <a class="skip-link" href="#content">"Skip to content"</a>
        <div class="app">
            <nav::Sidebar />
            <div class="app__main">
                <header class="topbar">
                    <NamespaceSelector />
                    <theme::ThemePicker />
                    <LiveIndicator />
                </header>
                <InvalidNamespaceNotice />
                <StorageNotice />
                <kfp_links::FollowKfpLinks />
                <main class="content" id="content">
                    <ErrorBoundary fallback=|errors| view! { <PageError errors /> }>{children()}</ErrorBoundary>
                </main>
            </div>
        </div>
    }
}

/// Whether the live event stream is connected.
#[component]
fn LiveIndicator() -> impl IntoView {
    let live = use_live_events();
    view! {
        <span
            class="live-indicator"
            class:live-indicator--on=move || live.connected.get()
            data-testid="live-indicator"
            title=move || if live.connected.get() { "Receiving live updates" } else { "Not connected: updates will resume when the server is reachable" }
        >
            <span class="live-indicator__dot"></span>
            {move || if live.connected.get() { "Live" } else { "Offline" }}
        </span>
    }
}

/// Says so when `?ns=` names no valid namespace, instead of silently ignoring it.
#[component]
fn InvalidNamespaceNotice() -> impl IntoView {
    let invalid = use_invalid_namespace();
    move || {
        invalid.get().map(|ns| {
            view! {
                <p class="notice notice--warning" role="status">
                    "\u{201c}" {ns} "\u{201d} is not a valid namespace name; showing the default namespace."
                </p>
            }
        })
    }
}

/// Why the server cannot record anything (its disk is full), if so.
#[server(StorageCondition, "/api/ui", endpoint = "storage_condition")]
pub async fn storage_condition() -> Result<Option<String>, crate::error::AppError> {
    Ok(crate::error::ssr::engine()?.store().storage_condition())
}

/// Says so on every page while the data directory's disk is full.
#[component]
fn StorageNotice() -> impl IntoView {
    let condition = Resource::new(|| (), |()| storage_condition());
    view! {
        <Transition>
            {move || {
                condition.get().and_then(Result::ok).flatten().map(|why| {
                    view! { <p class="notice notice--danger" role="alert" data-testid="storage-full">{why}</p> }
                })
            }}
        </Transition>
    }
}

/// What a page shows when rendering it failed.
#[component]
fn PageError(errors: ArcRwSignal<Errors>) -> impl IntoView {
    view! {
        <section class="page-error" role="alert">
            <h1>"Something went wrong"</h1>
            <ul>
                {move || errors.get().into_iter().map(|(_, e)| view! { <li>{e.to_string()}</li> }).collect_view()}
            </ul>
            <p>"Reload the page to try again. If it keeps failing, the server's log has the details."</p>
        </section>
    }
}

/// A spinner with a label, for content that is on its way.
#[component]
pub fn Loading(
    /// What is on its way, e.g. "activity".
    #[prop(into)]
    what: String,
) -> impl IntoView {
    view! {
        <p class="loading" role="status" aria-live="polite">
            <span class="loading__spinner" aria-hidden="true"></span>
            {format!("Loading {what}\u{2026}")}
        </p>
    }
}

/// What a list shows when it has nothing: what will appear and how to get it.
#[component]
pub fn EmptyState(
    /// Icon name, see [`Icon`].
    icon: &'static str,
    /// One line: what is missing.
    #[prop(into)]
    title: TextProp,
    /// What will appear here, and what to do.
    #[prop(into)]
    hint: String,
) -> impl IntoView {
    view! {
        <div class="empty-state">
            <Icon name=icon />
            <p class="empty-state__title">{move || title.get()}</p>
            <p class="empty-state__hint">{hint}</p>
        </div>
    }
}

/// Asks the browser to confirm a destructive action (always yes on the
/// server, where nothing is clicked).
pub fn confirm(message: &str) -> bool {
    #[cfg(feature = "hydrate")]
    {
        leptos::prelude::window().confirm_with_message(message).unwrap_or(false)
    }
    #[cfg(not(feature = "hydrate"))]
    {
        let _ = message;
        true
    }
}
