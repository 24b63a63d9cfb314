use serde::Deserialize;
use serde_json::json;

use super::*;

fn json_of(yaml: &str) -> Value {
    to_json(&load(yaml.as_bytes()).unwrap()[0])
}

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
    assert!(err.to_string().contains("once aliases are expanded"), "{err}");
}

#[test]
fn deep_nesting_is_refused() {
    let block: String = (0..100).map(|i| format!("{}k:\n", "  ".repeat(i))).collect();
    let err = load(block.as_bytes()).unwrap_err();
    assert!(err.to_string().contains("nesting deeper than 64"), "{err}");
    // The parser's own limit stops a flow nest before it builds anything.
    let flow = format!("{}1{}", "[".repeat(500), "]".repeat(500));
    let err = load(flow.as_bytes()).unwrap_err();
    assert!(err.to_string().contains("recursion limit"), "{err}");
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
    assert_eq!(err.to_string(), "invalid YAML: duplicate key \"a\"");
}

#[test]
fn free_form_values_follow_the_core_schema() {
    let value = json_of(
        "[n, y, yes, no, on, off, true, False, 1e3, 1.5e+3, 0x1F, 0o17, 010, 12, -3, 2.5, .5, null, ~, '', \"true\", .inf]",
    );
    assert_eq!(
        value,
        json!([
            "n", "y", "yes", "no", "on", "off", true, false, "1e3", 1500.0, 31, "0o17", "010", 12, -3, 2.5, 0.5, null,
            null, "", "true", ".inf"
        ])
    );
}

#[derive(Debug, Deserialize)]
struct Typed {
    name: String,
    values: Vec<String>,
    label: Option<String>,
    free: Value,
}

#[test]
fn string_fields_take_the_text_as_written() {
    let doc =
        &load(b"name: n\nvalues: [y, yes, on, off, true, 1e3, 0x1F, null, ~, 0.50]\nlabel: ~\nfree: [on, 0x1F]\n")
            .unwrap()[0];
    let typed: Typed = typed(doc).unwrap();
    assert_eq!(typed.name, "n");
    assert_eq!(typed.values, ["y", "yes", "on", "off", "true", "1e3", "0x1F", "null", "~", "0.50"]);
    assert_eq!(typed.label, None);
    assert_eq!(typed.free, json!(["on", 31]));
    // The JSON form keeps what the typed read took as text.
    assert_eq!(
        to_json(doc),
        json!({"name": "n", "values": ["y", "yes", "on", "off", "true", "1e3", "0x1F", "null", "~", "0.50"],
               "label": null, "free": ["on", 31]})
    );
}

#[test]
fn wrong_shapes_name_their_path() {
    let doc = &load(b"name: [a]\nvalues: []\nfree: 1\n").unwrap()[0];
    let err = typed::<Typed>(doc).unwrap_err().to_string();
    assert!(err.starts_with("name: invalid type: sequence"), "{err}");
}

#[test]
fn quoted_continuations_at_the_key_column_are_read() {
    // PyYAML writes long double-quoted values with continuation lines at
    // the column of their key.
    let value = json_of("a:\n  description: \"one\n  two\\\n  \\ three\"\n");
    assert_eq!(value, json!({"a": {"description": "one two three"}}));
}

#[test]
fn anchors_aliases_and_merge_keys() {
    let value = json_of("base: &b {image: alpine, n: 1}\nuse: {<<: *b, n: 2}\nlist: [*b]\n");
    assert_eq!(
        value,
        json!({"base": {"image": "alpine", "n": 1}, "use": {"n": 2, "image": "alpine"}, "list": [{"image": "alpine", "n": 1}]})
    );
}

#[test]
fn empty_documents_are_dropped() {
    assert_eq!(load(b"---\n---\na: 1\n").unwrap().len(), 1);
    assert!(load(b"").unwrap().is_empty());
}
