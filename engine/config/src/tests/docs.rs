//! `docs/configuration.md` must list every key with its default, and nothing else.

use std::collections::BTreeMap;

use serde_json::Value;

use crate::Config;

const DOC: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/configuration.md");

/// Every leaf key of `value` (list-of-table entries as `[N]`) with its default as compact JSON.
fn leaves(value: &Value, key: &str, out: &mut BTreeMap<String, String>) {
    match value {
        Value::Object(map) => {
            for (name, child) in map {
                let child_key = if key.is_empty() {
                    name.clone()
                } else {
                    format!("{key}.{name}")
                };
                leaves(child, &child_key, out);
            }
        }
        Value::Array(items) if matches!(items.first(), Some(Value::Object(_))) => {
            leaves(&items[0], &format!("{key}[N]"), out);
        }
        _ => {
            out.insert(key.to_owned(), value.to_string());
        }
    }
}

/// The key and default cells of every table row of the document whose first cell is a backticked key in one of
/// the `sections`.
fn documented(doc: &str, sections: &[&str]) -> BTreeMap<String, String> {
    let mut rows = BTreeMap::new();
    for line in doc.lines() {
        let cells: Vec<&str> = line.split('|').map(str::trim).collect();
        if cells.len() < 5 || !cells[0].is_empty() {
            continue;
        }
        let (Some(key), Some(default)) = (strip_ticks(cells[1]), strip_ticks(cells[3])) else {
            continue;
        };
        if key
            .split_once('.')
            .is_some_and(|(section, _)| sections.contains(&section))
        {
            rows.insert(key.to_owned(), default.to_owned());
        }
    }
    rows
}

fn strip_ticks(cell: &str) -> Option<&str> {
    cell.strip_prefix('`')?.strip_suffix('`')
}

#[test]
fn the_configuration_reference_lists_every_key_with_its_default() {
    let doc = std::fs::read_to_string(DOC).expect("docs/configuration.md");
    let mut expected = BTreeMap::new();
    leaves(
        &serde_json::to_value(Config::default()).expect("serialize"),
        "",
        &mut expected,
    );
    let defaults = serde_json::to_value(Config::default()).expect("serialize");
    let sections: Vec<&str> = defaults
        .as_object()
        .expect("a table")
        .keys()
        .map(String::as_str)
        .collect();
    let documented = documented(&doc, &sections);
    for (key, default) in &expected {
        match documented.get(key) {
            None => panic!("docs/configuration.md has no row for `{key}` (default `{default}`)"),
            Some(doc_default) => assert_eq!(doc_default, default, "documented default of `{key}`"),
        }
    }
    for key in documented.keys() {
        assert!(
            expected.contains_key(key),
            "docs/configuration.md documents `{key}`, which is not a key"
        );
    }
}
