//! Object names: DNS-1123 labels, the names Kubernetes accepts for namespaces,
//! Services and StatefulSets, so an object named here can be created on a cluster.

use std::fmt;

/// Longest name accepted. 63 is the DNS-1123 label limit; a StatefulSet's pods
/// append `-<ordinal>` and a controller-revision hash, so later issues may lower
/// this for notebooks.
pub const MAX_NAME_LEN: usize = 63;

/// Why a string is not a valid name.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum NameError {
    /// The string was empty.
    #[error("name must not be empty")]
    Empty,
    /// The string was longer than [`MAX_NAME_LEN`].
    #[error("name is {len} characters long; the limit is {MAX_NAME_LEN}")]
    TooLong {
        /// Length of the rejected name, in bytes.
        len: usize,
    },
    /// A character other than `a-z`, `0-9` and `-` was found.
    #[error("name may contain only lowercase letters, digits and '-'; found {found:?} at position {at}")]
    InvalidChar {
        /// The offending character.
        found: char,
        /// Its character index.
        at: usize,
    },
    /// The name started or ended with `-`.
    #[error("name must start and end with a lowercase letter or digit")]
    BadEdge,
}

/// A validated DNS-1123 label: `[a-z0-9]([-a-z0-9]*[a-z0-9])?`, at most 63 bytes.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct ResourceName(String);

impl ResourceName {
    /// Validates `name`.
    ///
    /// ```
    /// use model::ResourceName;
    /// assert!(ResourceName::parse("team-a").is_ok());
    /// assert!(ResourceName::parse("Team_A").is_err());
    /// ```
    pub fn parse(name: &str) -> Result<Self, NameError> {
        if name.is_empty() {
            return Err(NameError::Empty);
        }
        if name.len() > MAX_NAME_LEN {
            return Err(NameError::TooLong { len: name.len() });
        }
        if let Some((at, found)) =
            name.chars().enumerate().find(|(_, c)| !(c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '-'))
        {
            return Err(NameError::InvalidChar { found, at });
        }
        if name.starts_with('-') || name.ends_with('-') {
            return Err(NameError::BadEdge);
        }
        Ok(Self(name.to_owned()))
    }

    /// The name as a string slice.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for ResourceName {
    type Error = NameError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<ResourceName> for String {
    fn from(value: ResourceName) -> Self {
        value.0
    }
}

impl fmt::Display for ResourceName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl AsRef<str> for ResourceName {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn rejects_what_kubernetes_rejects() {
        assert_eq!(ResourceName::parse(""), Err(NameError::Empty));
        assert_eq!(ResourceName::parse("-a"), Err(NameError::BadEdge));
        assert_eq!(ResourceName::parse("a-"), Err(NameError::BadEdge));
        assert_eq!(ResourceName::parse("a_b"), Err(NameError::InvalidChar { found: '_', at: 1 }));
        assert_eq!(ResourceName::parse(&"a".repeat(64)), Err(NameError::TooLong { len: 64 }));
        assert!(ResourceName::parse(&"a".repeat(63)).is_ok());
    }

    #[test]
    fn hostile_strings_are_refused_by_deserialize() {
        let err = serde_json::from_str::<ResourceName>(r#""<script>""#).unwrap_err();
        assert!(err.to_string().contains("lowercase"), "{err}");
    }

    proptest! {
        #[test]
        fn valid_labels_round_trip(s in "[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?") {
            let name = ResourceName::parse(&s).unwrap();
            prop_assert_eq!(name.as_str(), s.as_str());
        }

        #[test]
        fn anything_accepted_is_a_label(s in "\\PC{0,70}") {
            if let Ok(name) = ResourceName::parse(&s) {
                let n = name.as_str();
                prop_assert!(n.len() <= MAX_NAME_LEN);
                prop_assert!(n.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-'));
                prop_assert!(!n.starts_with('-') && !n.ends_with('-'));
            }
        }
    }
}
