//! The left navigation.

use leptos::prelude::*;
use leptos_router::components::A;

use super::Icon;
use crate::namespace::{href_in, use_namespace};

/// Pages in the navigation: path, label, icon.
pub const PAGES: [(&str, &str, &str); 10] = [
    ("/", "Home", "home"),
    ("/notebooks", "Notebooks", "notebook"),
    ("/pipelines", "Pipelines", "pipeline"),
    ("/experiments", "Experiments", "experiment"),
    ("/runs", "Runs", "run"),
    ("/recurring-runs", "Recurring runs", "recurring"),
    ("/workflow-templates", "Workflow templates", "template"),
    ("/artifacts", "Artifacts", "artifact"),
    ("/utilization", "Utilization", "gauge"),
    ("/activity", "Activity", "activity"),
];

/// Brand and links to every page, keeping the namespace.
#[component]
pub fn Sidebar() -> impl IntoView {
    let namespace = use_namespace();
    view! {
        <aside class="sidebar">
            <A href=href_in("/", namespace) attr:class="brand">
                <span class="brand__mark" aria-hidden="true">"F"</span>
                <span class="brand__name">"Ferroflow"</span>
            </A>
            <nav aria-label="Main">
                <ul class="nav">
                    {PAGES
                        .into_iter()
                        .map(|(path, label, icon)| {
                            view! {
                                <li>
                                    <A href=href_in(path, namespace) attr:class="nav__link" exact=true>
                                        <Icon name=icon />
                                        <span>{label}</span>
                                    </A>
                                </li>
                            }
                        })
                        .collect_view()}
                </ul>
            </nav>
        </aside>
    }
}
