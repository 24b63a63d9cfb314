//! The namespace the user is looking at, kept in `?ns=` so links and reloads
//! keep it, and the selector that changes it.

use leptos::prelude::*;
use leptos_router::hooks::{use_location, use_navigate, use_query_map};
use model::{DEFAULT_NAMESPACE, EventKind, Namespace, ResourceName};

use crate::{error::AppError, live::use_live_events};

/// The namespace in `?ns=`, or the default one when absent or invalid.
pub fn use_namespace() -> Memo<ResourceName> {
    let query = use_query_map();
    Memo::new(move |_| {
        query.read().get("ns").and_then(|ns| ResourceName::parse(&ns).ok()).unwrap_or_else(default_namespace)
    })
}

/// The `?ns=` value when it is present but not a valid name.
pub fn use_invalid_namespace() -> Memo<Option<String>> {
    let query = use_query_map();
    Memo::new(move |_| query.read().get("ns").filter(|ns| ResourceName::parse(ns).is_err()))
}

fn default_namespace() -> ResourceName {
    ResourceName::parse(DEFAULT_NAMESPACE).expect("the default namespace name is valid")
}

/// `path` with the current namespace in its query, for links between pages.
pub fn href_in(path: &'static str, namespace: Memo<ResourceName>) -> impl Fn() -> String + Send + Sync + Copy {
    move || format!("{path}?ns={}", namespace.get())
}

/// The namespaces the caller may see.
#[leptos::server(ListNamespaces, "/api/ui", endpoint = "list_namespaces")]
pub async fn list_namespaces() -> Result<Vec<Namespace>, AppError> {
    use crate::error::ssr::{engine, principal};
    Ok(engine()?.list_namespaces(&principal()?).await?)
}

/// Creates a namespace (an administrator's step until profiles arrive: the
/// engine refuses it to others) and returns its name.
#[leptos::server(CreateNamespace, "/api/ui", endpoint = "create_namespace")]
pub async fn create_namespace(
    /// The new namespace's name (a DNS-1123 label).
    name: String,
) -> Result<String, AppError> {
    use crate::error::ssr::{engine, principal};
    Ok(engine()?.create_namespace(&principal()?, name.trim()).await?.name.to_string())
}

/// A `<select>` of namespaces; choosing one rewrites `?ns=` on this page.
#[component]
pub fn NamespaceSelector() -> impl IntoView {
    let namespace = use_namespace();
    let live = use_live_events();
    let created = Memo::new(move |_| live.count(|e| e.kind == EventKind::NamespaceCreated));
    let namespaces = Resource::new(move || created.get(), |_| list_namespaces());
    let navigate = use_navigate();
    let location = use_location();
    let on_change = move |ev: leptos::ev::Event| {
        let chosen = event_target_value(&ev);
        navigate(&format!("{}?ns={chosen}", location.pathname.get_untracked()), Default::default());
    };
    view! {
        <div class="namespace-selector">
        <label>
            <span class="namespace-selector__label">"Namespace"</span>
            <select aria-label="Namespace" on:change=on_change prop:value=move || namespace.get().to_string()>
                <Transition fallback=move || view! { <option>{move || namespace.get().to_string()}</option> }>
                    {move || namespaces.get().map(|result| match result {
                        Ok(list) => list
                            .into_iter()
                            .map(|ns| {
                                let name = ns.name.to_string();
                                let selected = ns.name == namespace.get();
                                let value = name.clone();
                                view! { <option value=value selected=selected>{name}</option> }
                            })
                            .collect_view()
                            .into_any(),
                        Err(e) => view! { <option disabled=true>{format!("cannot list namespaces: {e}")}</option> }.into_any(),
                    })}
                </Transition>
            </select>
        </label>
        <NewNamespace />
        </div>
    }
}

/// "New namespace": a name, created on the spot and switched to.
#[component]
fn NewNamespace() -> impl IntoView {
    let create = ServerAction::<CreateNamespace>::new();
    let navigate = use_navigate();
    let location = use_location();
    let details = NodeRef::<leptos::html::Details>::new();
    Effect::new(move |_| {
        if let Some(Ok(name)) = create.value().get() {
            if let Some(details) = details.get_untracked() {
                let _ = details.remove_attribute("open");
            }
            navigate(&format!("{}?ns={name}", location.pathname.get_untracked()), Default::default());
        }
    });
    let problem = move || create.value().get().and_then(Result::err).map(|e| e.to_string());
    view! {
        <details class="namespace-new" node_ref=details>
            <summary class="button button--small" aria-label="New namespace" data-testid="new-namespace">"+"</summary>
            <ActionForm action=create attr:class="namespace-new__form">
                <label class="field">
                    <span>"New namespace"</span>
                    <input class="input" name="name" required=true maxlength="63" autocomplete="off"
                        pattern="[a-z0-9]([a-z0-9\\-]*[a-z0-9])?" data-testid="new-namespace-name"
                        title="Lower-case letters, digits and '-', starting and ending with a letter or digit" />
                </label>
                <button class="button button--primary button--small" type="submit">"Create"</button>
                {move || problem().map(|p| view! { <p class="field__error" role="alert" data-testid="new-namespace-problem">{p}</p> })}
            </ActionForm>
        </details>
    }
}
