//! The new-notebook form: Kubeflow's spawner fields with the config's
//! defaults and read-only fields, free GPUs next to the GPU count, and each
//! problem shown next to its field as the form is filled (the server checks
//! it exactly as it will on create).

use leptos::prelude::*;
use leptos_meta::Title;

use super::api::{CheckNotebook, CreateNotebook, FieldProblem, FormOptions, NewNotebook, notebook_form_options};
use crate::{namespace::use_namespace, shell::Loading};

/// Image pull policies Kubernetes knows.
const PULL_POLICIES: [&str; 3] = ["IfNotPresent", "Always", "Never"];

/// GPU counts offered.
const GPU_COUNTS: [&str; 5] = ["1", "2", "4", "8", "16"];

/// The New notebook page.
#[component]
pub fn NewNotebookPage() -> impl IntoView {
    let namespace = use_namespace();
    let options = Resource::new(|| (), |_| notebook_form_options());
    let create = ServerAction::<CreateNotebook>::new();
    let check = ServerAction::<CheckNotebook>::new();
    let problem = Problems::new(Vec::new());
    Effect::new(move |_| {
        if let Some(Err(e)) = create.value().get() {
            problem.set(e.field_problems());
        }
    });
    Effect::new(move |_| match check.value().get() {
        Some(Ok(found)) => problem.set(found),
        Some(Err(e)) => problem.set(e.field_problems()),
        None => {}
    });
    let recheck = move |ev: leptos::ev::Event| check_form(&ev, check);
    view! {
        <Title text="New notebook" />
        <h1 class="page-title">"New notebook"</h1>
        <section class="card notebook-form">
            <Transition fallback=|| view! { <Loading what="the form" /> }>
                {move || options.get().map(|result| result.map(|options| view! {
                    <div on:change=recheck>
                        <ActionForm action=create>
                            <input type="hidden" name="namespace" value=namespace.get_untracked().to_string() />
                            <NotebookFields options initial=NewNotebook::default() problem editing=false />
                            <FormProblem problem field="" />
                            <div class="toolbar">
                                <button class="button button--primary" type="submit" data-testid="launch">"Launch"</button>
                                <a class="button" href=format!("/notebooks?ns={}", namespace.get_untracked())>"Cancel"</a>
                            </div>
                        </ActionForm>
                    </div>
                }))}
            </Transition>
        </section>
    }
}

/// Sends the form around `ev`'s target to the server to be checked.
fn check_form(ev: &leptos::ev::Event, check: ServerAction<CheckNotebook>) {
    #[cfg(feature = "hydrate")]
    {
        use leptos::form::FromFormData;
        use wasm_bindgen::JsCast;
        let form = ev
            .target()
            .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
            .and_then(|e| e.closest("form").ok().flatten())
            .and_then(|f| f.dyn_into::<web_sys::HtmlFormElement>().ok());
        let data = form.and_then(|f| web_sys::FormData::new_with_form(&f).ok());
        if let Some(args) = data.and_then(|d| CheckNotebook::from_form_data(&d).ok()) {
            check.dispatch(args);
        }
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = (ev, check);
}

/// Every problem the last check or submission found, by field.
pub type Problems = RwSignal<Vec<FieldProblem>>;

/// The problems with `field` (a Kubeflow key) the last check found; `""`
/// shows problems no field claims.
#[component]
pub fn FormProblem(problem: Problems, field: &'static str) -> impl IntoView {
    let mine = move || {
        problem.get().into_iter().filter(|p| {
            if field.is_empty() {
                return !KNOWN_FIELDS.iter().any(|known| claims(known, &p.field));
            }
            claims(field, &p.field)
        })
    };
    view! {
        {move || mine().map(|p| view! {
            <span class="field__error" role="alert" data-testid=format!("problem-{field}")>{p.problem}</span>
        }).collect_view()}
    }
}

/// The fields that show their own problems.
const KNOWN_FIELDS: [&str; 10] =
    ["name", "serverType", "image", "customImage", "cpu", "cpuLimit", "memory", "memoryLimit", "gpus", "workspace"];

/// Whether a problem reported for `reported` belongs next to `field`
/// (`gpus.num` to `gpus`, `workspace name` to `workspace`, `datavols[0]` to
/// `workspace`'s neighbour, the data volume).
fn claims(field: &str, reported: &str) -> bool {
    reported == field
        || reported.strip_prefix(field).is_some_and(|rest| rest.starts_with(['.', ' ', '[']))
        || (field == "workspace" && reported.starts_with("datavols"))
}

/// The spawner fields, named as [`NewNotebook`] reads them (`form[...]`).
/// While `editing`, only the image and resources can change.
#[component]
pub fn NotebookFields(options: FormOptions, initial: NewNotebook, problem: Problems, editing: bool) -> impl IntoView {
    let server_type =
        RwSignal::new(if initial.server_type.is_empty() { "jupyter".to_owned() } else { initial.server_type.clone() });
    let custom = RwSignal::new(!initial.custom_image.is_empty());
    let images = options.images.clone();
    let initial_image = initial.image.clone();
    let image_choices = move || {
        let kind = server_type.get();
        let (default, list) =
            images.iter().find(|(k, _, _)| *k == kind).map(|(_, d, l)| (d.clone(), l.clone())).unwrap_or_default();
        let chosen = if initial_image.is_empty() { default.clone() } else { initial_image.clone() };
        let mut list = if list.is_empty() { vec![default] } else { list };
        if !list.contains(&chosen) && !chosen.is_empty() {
            list.insert(0, chosen.clone());
        }
        list.into_iter()
            .map(|image| {
                let selected = image == chosen;
                let label = image.clone();
                view! { <option value=image selected=selected>{label}</option> }
            })
            .collect_view()
    };
    let gpu_note = if options.gpus_total == 0 {
        "no GPUs on this host".to_owned()
    } else {
        format!("{} of {} free on this host", options.gpus_free, options.gpus_total)
    };
    let limit_hint =
        |factor: Option<f64>| factor.map_or("same as the request".to_owned(), |f| format!("request \u{d7} {f}"));
    let value_or = |given: &str, default: &str| if given.is_empty() { default.to_owned() } else { given.to_owned() };
    view! {
        <div class="form-grid">
            <label class="field">
                <span>"Name"</span>
                <input class="input" name="form[name]" value=initial.name.clone() required=true maxlength="52"
                    disabled=editing pattern="[a-z0-9]([a-z0-9\\-]*[a-z0-9])?" autocomplete="off" data-testid="name"
                    title="Lower-case letters, digits and '-', starting and ending with a letter or digit" />
                <FormProblem problem field="name" />
            </label>
        </div>
        {(!editing).then(|| view! { <ServerTypes options=options.server_types.clone() server_type problem /> })}
        <fieldset class="form-section">
            <legend>"Image"</legend>
            <div class="form-grid">
                <label class="field" hidden=move || custom.get()>
                    <span>"Image"</span>
                    <select class="input" name="form[image]" disabled=options.image_read_only data-testid="image">{image_choices}</select>
                    <FormProblem problem field="image" />
                </label>
                {options.allow_custom_image.then(|| view! {
                    <label class="field" hidden=move || !custom.get()>
                        <span>"Custom image"</span>
                        <input class="input" name="form[custom_image]" value=initial.custom_image.clone()
                            placeholder="registry/image:tag" disabled=move || !custom.get() />
                        <FormProblem problem field="customImage" />
                    </label>
                })}
                <label class="field">
                    <span>"Image pull policy"</span>
                    <select class="input" name="form[image_pull_policy]">
                        {PULL_POLICIES.iter().map(|p| view! {
                            <option value=*p selected=initial.image_pull_policy == *p>{*p}</option>
                        }).collect_view()}
                    </select>
                </label>
            </div>
            {options.allow_custom_image.then(|| view! {
                <label class="check">
                    <input type="checkbox" checked=move || custom.get() on:change=move |ev| custom.set(event_target_checked(&ev)) />
                    "Use a custom image"
                </label>
            })}
        </fieldset>
        <fieldset class="form-section">
            <legend>"CPU and memory"</legend>
            <div class="form-grid">
                <label class="field">
                    <span>"CPU request"</span>
                    <input class="input" name="form[cpu]" value=value_or(&initial.cpu, &options.cpu) disabled=options.cpu_read_only data-testid="cpu" />
                    <FormProblem problem field="cpu" />
                </label>
                <label class="field">
                    <span>"CPU limit"</span>
                    <input class="input" name="form[cpu_limit]" value=initial.cpu_limit.clone() placeholder=limit_hint(options.cpu_limit_factor) disabled=options.cpu_read_only data-testid="cpu-limit" />
                    <FormProblem problem field="cpuLimit" />
                </label>
                <label class="field">
                    <span>"Memory request"</span>
                    <input class="input" name="form[memory]" value=value_or(&initial.memory, &options.memory) disabled=options.memory_read_only data-testid="memory" />
                    <FormProblem problem field="memory" />
                </label>
                <label class="field">
                    <span>"Memory limit"</span>
                    <input class="input" name="form[memory_limit]" value=initial.memory_limit.clone() placeholder=limit_hint(options.memory_limit_factor) disabled=options.memory_read_only />
                    <FormProblem problem field="memoryLimit" />
                </label>
            </div>
        </fieldset>
        <fieldset class="form-section">
            <legend>"GPUs"</legend>
            <div class="form-grid">
                <label class="field">
                    <span>"Number of GPUs " <span class="muted" data-testid="gpus-free">"(" {gpu_note} ")"</span></span>
                    <select class="input" name="form[gpus]" disabled=options.gpus_read_only data-testid="gpus">
                        <option value="none">"None"</option>
                        {GPU_COUNTS.iter().map(|n| view! { <option value=*n selected=initial.gpus == *n>{*n}</option> }).collect_view()}
                    </select>
                    <FormProblem problem field="gpus" />
                </label>
                <label class="field">
                    <span>"GPU vendor"</span>
                    <select class="input" name="form[gpu_vendor]" disabled=options.gpus_read_only>
                        {options.gpu_vendors.iter().map(|(key, label)| view! {
                            <option value=key.clone() selected=initial.gpu_vendor == *key>{label.clone()}</option>
                        }).collect_view()}
                    </select>
                </label>
            </div>
        </fieldset>
        {(!editing).then(|| view! {
            <VolumeFields options=options.clone() initial=initial.clone() problem />
        })}
    }
}

/// The server type radios; a type that cannot run here says why.
#[component]
fn ServerTypes(
    options: Vec<(String, String, Option<String>)>,
    server_type: RwSignal<String>,
    problem: Problems,
) -> impl IntoView {
    let reasons: Vec<String> =
        options.iter().filter_map(|(_, label, why)| why.as_ref().map(|why| format!("{label}: {why}"))).collect();
    view! {
        <fieldset class="form-section server-types">
            <legend>"Server type"</legend>
            <div class="server-types__choices">
                {options.into_iter().map(|(key, label, unavailable)| {
                    let checked = key == server_type.get_untracked();
                    let value = key.clone();
                    view! {
                        <label class="check">
                            <input type="radio" name="form[server_type]" value=key checked=checked
                                on:change=move |_| server_type.set(value.clone()) />
                            {label}
                            {unavailable.is_some().then(|| view! { <span class="badge">"unavailable"</span> })}
                        </label>
                    }
                }).collect_view()}
            </div>
            {reasons.into_iter().map(|r| view! { <p class="muted server-types__why">{r}</p> }).collect_view()}
            <FormProblem problem field="serverType" />
        </fieldset>
    }
}

/// Workspace, data volume, configurations and shared memory: fixed once
/// the notebook exists.
#[component]
fn VolumeFields(options: FormOptions, initial: NewNotebook, problem: Problems) -> impl IntoView {
    let workspace = if initial.workspace.is_empty() { options.workspace.clone() } else { initial.workspace.clone() };
    view! {
        <fieldset class="form-section">
            <legend>"Volumes"</legend>
            <div class="form-grid">
                <label class="field">
                    <span>"Workspace volume " <span class="muted">"(mounted at " {options.workspace_mount.clone()} ")"</span></span>
                    <input class="input" name="form[workspace]" value=workspace disabled=options.workspace_read_only />
                    <FormProblem problem field="workspace" />
                </label>
                <label class="field">
                    <span>"Data volume " <span class="muted">"(optional)"</span></span>
                    <input class="input" name="form[data_volume]" value=initial.data_volume.clone() placeholder="volume name" />
                </label>
                <label class="field">
                    <span>"Data volume mount"</span>
                    <input class="input" name="form[data_volume_mount]" value=initial.data_volume_mount.clone() placeholder="/data" />
                </label>
            </div>
        </fieldset>
        <fieldset class="form-section">
            <legend>"Advanced"</legend>
            {options.configurations.iter().enumerate().map(|(i, (name, description))| view! {
                <label class="check">
                    <input type="checkbox" name=format!("form[configurations][{i}]") value=name.clone()
                        checked=initial.configurations.contains(name) />
                    {name.clone()} <span class="muted">{description.clone()}</span>
                </label>
            }).collect_view()}
            <label class="check">
                <input type="checkbox" name="form[shm]" value="true" checked=options.shm disabled=options.shm_read_only />
                "Enable shared memory (a large /dev/shm)"
            </label>
        </fieldset>
    }
}
