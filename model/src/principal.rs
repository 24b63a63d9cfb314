//! Who is asking, and what they ask to do.

use serde::{Deserialize, Serialize};

/// An authenticated caller.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Principal {
    /// A stable user name (an email address under an auth proxy).
    pub name: String,
}

impl Principal {
    /// Name of the single user of an installation without sign-in.
    pub const LOCAL_USER: &'static str = "local-user";

    /// The single local user of the embedded default.
    pub fn local() -> Self {
        Self { name: Self::LOCAL_USER.to_owned() }
    }
}

/// What a principal asks to do with objects in a namespace.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Verb {
    /// Read one object.
    Get,
    /// List objects.
    List,
    /// Follow changes (the event stream).
    Watch,
    /// Create an object.
    Create,
    /// Change an object.
    Update,
    /// Delete an object.
    Delete,
}
