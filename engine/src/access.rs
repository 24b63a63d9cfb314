//! Who may do what, where.
//!
//! Every engine operation calls [`authorize`] before it reads or writes.
//! Today the only principal is the single local user, who may do everything;
//! profiles with owners and contributors will extend [`role_of`].

use model::{Event, Principal, ResourceName, Verb};

use crate::{Error, Result};

/// A principal's standing in a namespace.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    /// May do everything everywhere.
    Admin,
    /// May do nothing.
    None,
}

/// The role `principal` holds in `namespace`.
pub fn role_of(principal: &Principal, _namespace: &str) -> Role {
    if principal.name == Principal::LOCAL_USER { Role::Admin } else { Role::None }
}

/// Checks that `principal` may do `verb` in `namespace`.
pub fn authorize(principal: &Principal, namespace: &str, verb: Verb) -> Result<()> {
    match role_of(principal, namespace) {
        Role::Admin => Ok(()),
        Role::None => {
            Err(Error::Forbidden { principal: principal.name.clone(), verb, namespace: namespace.to_owned() })
        }
    }
}

/// Whether a subscriber watching `watched` may receive `event`: events of the
/// watched namespace, and cluster-wide events of namespaces they may list.
pub fn may_see(principal: &Principal, watched: &ResourceName, event: &Event) -> bool {
    if &event.namespace == watched {
        return true;
    }
    event.is_cluster_wide() && authorize(principal, event.namespace.as_str(), Verb::List).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn local_user_may_do_everything_strangers_nothing() {
        assert!(authorize(&Principal::local(), "default", Verb::Delete).is_ok());
        let stranger = Principal { name: "mallory".into() };
        let err = authorize(&stranger, "default", Verb::Get).unwrap_err();
        assert_eq!(err.to_string(), "mallory may not Get in namespace default");
    }

    #[test]
    fn cluster_wide_events_cross_namespaces_only_when_listable() {
        let default = ResourceName::parse("default").unwrap();
        let event = Event {
            id: 1,
            namespace: ResourceName::parse("team-a").unwrap(),
            at: chrono::Utc::now(),
            actor: "x".into(),
            kind: model::EventKind::NamespaceCreated,
        };
        assert!(may_see(&Principal::local(), &default, &event));
        assert!(!may_see(&Principal { name: "mallory".into() }, &default, &event));
        let other = Event { kind: model::EventKind::Unknown, ..event };
        assert!(!may_see(&Principal::local(), &default, &other));
    }
}
