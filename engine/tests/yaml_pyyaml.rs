//! Names and values written by PyYAML's `safe_dump` (the YAML writer of the
//! `kfp` compiler, from the test venv made by `scripts/setup.sh --test`)
//! read back as the values that were written.

use std::{io::Write, path::PathBuf, process::Command};

use proptest::prelude::*;
use serde_json::{Map, Value};

fn python() -> PathBuf {
    let python = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../.venv/bin/python");
    assert!(python.exists(), "{} is missing: run scripts/setup.sh --test", python.display());
    python
}

/// PyYAML's YAML for each value, dumped with the given width and unicode setting.
fn safe_dump(values: &[Value], width: u32, unicode: bool) -> Vec<String> {
    let script = format!(
        "import json, sys, yaml\n\
         docs = json.load(sys.stdin)\n\
         json.dump([yaml.safe_dump(d, width={width}, allow_unicode={}) for d in docs], sys.stdout)\n",
        if unicode { "True" } else { "False" }
    );
    let mut child = Command::new(python())
        .args(["-c", &script])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("python starts");
    child.stdin.take().unwrap().write_all(serde_json::to_string(values).unwrap().as_bytes()).unwrap();
    let output = child.wait_with_output().unwrap();
    assert!(output.status.success(), "PyYAML failed");
    serde_json::from_slice(&output.stdout).unwrap()
}

fn words() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::sample::select(vec![
            "n",
            "y",
            "N",
            "Y",
            "yes",
            "no",
            "on",
            "off",
            "On",
            "true",
            "false",
            "True",
            "null",
            "Null",
            "~",
            "",
            "1e3",
            "1E3",
            "1.5e3",
            "0x1F",
            "0o17",
            "010",
            "1_000",
            "+1",
            "-0",
            ".5",
            "1.",
            ".inf",
            "-.inf",
            ".nan",
            "<<",
            "=",
            "2026-12-03",
            "12:30",
            "- a",
            "a: b",
            "#c",
            "{x}",
            "[y]",
            "'q'",
            "\"d\"",
            " lead",
            "trail ",
            "a\nb",
            "@at",
            "`t",
            "%p",
            "!tag",
            "&a",
            "*a",
            "|",
            ">",
        ])
        .prop_map(str::to_owned),
        // U+2028 and U+0085 are line breaks to YAML 1.1 and text to 1.2:
        // PyYAML escapes them unless allow_unicode is on (kfp leaves it
        // off), so they are tested in `line_separators_escaped_by_pyyaml`.
        "[ -~\t\n\r\u{e9}\u{1F600}]{0,60}",
        "[a-z ]{80,300}",
    ]
}

fn values() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<f64>().prop_filter("finite", |f| f.is_finite()).prop_map(Value::from),
        words().prop_map(Value::String),
    ];
    leaf.prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::btree_map(words(), inner, 0..6)
                .prop_map(|m| Value::Object(m.into_iter().collect::<Map<_, _>>())),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 12, ..ProptestConfig::default() })]

    #[test]
    fn pyyaml_documents_read_back_identically(
        documents in prop::collection::vec(prop::collection::btree_map(words(), values(), 1..5), 40),
        width in prop::sample::select(vec![20u32, 80, 120]),
        unicode in any::<bool>(),
    ) {
        let documents: Vec<Value> =
            documents.into_iter().map(|m| Value::Object(m.into_iter().collect())).collect();
        for (written, yaml) in documents.iter().zip(safe_dump(&documents, width, unicode)) {
            let read = engine::spec::load_json(yaml.as_bytes()).map_err(|e| TestCaseError::fail(format!("{e}\n{yaml}")))?;
            prop_assert_eq!(&read, written, "YAML:\n{}", yaml);
        }
    }
}

#[test]
fn line_separators_escaped_by_pyyaml() {
    let written = serde_json::json!({"a\u{2028}b": "c\u{85}d \u{2028}  e"});
    let yaml = &safe_dump(std::slice::from_ref(&written), 80, false)[0];
    assert_eq!(engine::spec::load_json(yaml.as_bytes()).unwrap(), written, "{yaml}");
}
