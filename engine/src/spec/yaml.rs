//! Loading YAML within bounds: size, nesting depth, node count and alias
//! expansion are all capped, so a hostile file (a billion laughs, a deep
//! nest) is refused quickly with little memory.

use serde_saphyr::{
    Options,
    budget::Budget,
    options::{AliasLimits, DuplicateKeyPolicy},
};

use super::SpecError;

/// Largest spec accepted, in bytes.
pub const MAX_SPEC_BYTES: usize = 8 * 1024 * 1024;
/// Deepest nesting accepted.
pub const MAX_DEPTH: usize = 64;

/// Parses every document of `bytes` into JSON values.
pub fn load(bytes: &[u8]) -> Result<Vec<serde_json::Value>, SpecError> {
    if bytes.len() > MAX_SPEC_BYTES {
        return Err(SpecError::TooLarge { size: bytes.len(), limit: MAX_SPEC_BYTES });
    }
    let text = std::str::from_utf8(bytes).map_err(|e| SpecError::NotUtf8 { offset: e.valid_up_to() })?;
    let mut budget = Budget::default();
    budget.max_depth = MAX_DEPTH;
    budget.max_documents = 4;
    budget.max_nodes = 1_000_000;
    budget.max_aliases = 10_000;
    budget.max_anchors = 10_000;
    budget.max_total_scalar_bytes = MAX_SPEC_BYTES;
    let mut alias_limits = AliasLimits::default();
    alias_limits.max_total_replayed_events = 100_000;
    alias_limits.max_replay_stack_depth = 16;
    alias_limits.max_alias_expansions_per_anchor = 1_000;
    let mut options = Options::default();
    options.budget = Some(budget);
    options.alias_limits = alias_limits;
    options.duplicate_keys = DuplicateKeyPolicy::Error;
    let documents: Vec<serde_json::Value> =
        serde_saphyr::from_multiple_with_options(text, options).map_err(|e| SpecError::Yaml(e.to_string()))?;
    Ok(documents.into_iter().filter(|d| !d.is_null()).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_billion_laughs_is_refused() {
        let mut yaml = String::from("a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]\n");
        for i in 1..10 {
            let prev = i - 1;
            yaml.push_str(&format!(
                "a{i}: &a{i} [*a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}]\n"
            ));
        }
        let err = load(yaml.as_bytes()).unwrap_err();
        assert!(matches!(err, SpecError::Yaml(_)), "{err}");
    }

    #[test]
    fn deep_nesting_is_refused() {
        let yaml = format!("{}1{}", "[".repeat(500), "]".repeat(500));
        assert!(matches!(load(yaml.as_bytes()), Err(SpecError::Yaml(_))));
    }

    #[test]
    fn oversized_input_is_refused_before_parsing() {
        let yaml = vec![b' '; MAX_SPEC_BYTES + 1];
        assert_eq!(
            load(&yaml).unwrap_err().to_string(),
            format!("spec is {} bytes; the limit is {MAX_SPEC_BYTES}", MAX_SPEC_BYTES + 1)
        );
    }

    #[test]
    fn duplicate_keys_are_refused() {
        let err = load(b"a: 1\na: 2\n").unwrap_err();
        assert!(err.to_string().to_lowercase().contains("duplicate"), "{err}");
    }
}
