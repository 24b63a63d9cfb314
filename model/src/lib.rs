//! Types shared by the browser and the server.
//!
//! Everything here compiles to `wasm32-unknown-unknown`: no I/O, no threads,
//! only data, validation and serde.

pub mod dag;
mod display_name;
mod event;
pub mod layout;
mod name;
mod principal;

pub use display_name::{DisplayNameError, MAX_DISPLAY_NAME_CHARS, display_name, path_safe_display_name};
pub use event::{Event, EventKind};
pub use name::{NameError, ResourceName};
pub use principal::{Principal, Verb};

/// A namespace: the unit of ownership and isolation that every object lives in.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Namespace {
    /// The namespace's name, a DNS-1123 label.
    pub name: ResourceName,
    /// When the namespace was created (UTC).
    pub created_at: chrono::DateTime<chrono::Utc>,
}

/// The namespace every installation starts with.
pub const DEFAULT_NAMESPACE: &str = "default";
