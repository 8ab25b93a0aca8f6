use std::collections::BTreeSet;

use serde_json::Value;

use super::*;

/// The checked-in copy.
const CHECKED_IN: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/openapi.json");

fn as_value() -> Value {
    serde_json::to_value(document()).unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn documents_exactly_the_routes_of_the_router() {
    let doc = as_value();
    let mut documented = BTreeSet::new();
    if let Some(paths) = doc["paths"].as_object() {
        for (path, item) in paths {
            for method in item.as_object().into_iter().flat_map(|item| item.keys()) {
                documented.insert((method.to_uppercase(), path.clone()));
            }
        }
    }
    let routed: BTreeSet<_> = crate::routes::table()
        .into_iter()
        .map(|(method, path)| (method.to_owned(), path))
        .collect();
    assert_eq!(documented, routed);
}

/// Every `$ref` in `value`.
fn refs(value: &Value, found: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            for (key, value) in map {
                match (key.as_str(), value) {
                    ("$ref", Value::String(target)) => found.push(target.clone()),
                    _ => refs(value, found),
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|item| refs(item, found)),
        _ => {}
    }
}

#[test]
fn every_reference_resolves_and_operations_are_complete() {
    let doc = as_value();
    assert_eq!(doc["openapi"], "3.1.0");
    assert_eq!(doc["info"]["version"], env!("CARGO_PKG_VERSION"));
    let mut found = Vec::new();
    refs(&doc, &mut found);
    assert!(!found.is_empty());
    for target in found {
        let pointer = target.trim_start_matches('#');
        assert!(doc.pointer(pointer).is_some(), "{target} does not resolve");
    }
    let mut ids = BTreeSet::new();
    for item in doc["paths"]
        .as_object()
        .into_iter()
        .flat_map(|p| p.values())
    {
        for operation in item.as_object().into_iter().flat_map(|i| i.values()) {
            let id = operation["operationId"].as_str().unwrap_or_default();
            assert!(ids.insert(id.to_owned()), "duplicate operationId {id}");
            let responses = &operation["responses"];
            assert!(
                responses.get("default").is_some(),
                "{id}: no default answer"
            );
            // Every templated path parameter is described.
            assert!(
                operation["parameters"].is_array(),
                "{id}: no parameters list"
            );
        }
    }
}

#[test]
fn the_checked_in_document_is_current() {
    let current = pretty().unwrap_or_else(|e| panic!("{e}"));
    if std::env::var_os("BAILIFF_UPDATE_OPENAPI").is_some() {
        std::fs::write(CHECKED_IN, &current).unwrap_or_else(|e| panic!("{e}"));
        return;
    }
    let checked_in = std::fs::read_to_string(CHECKED_IN).unwrap_or_default();
    assert!(
        checked_in == current,
        "docs/openapi.json is not the document the gateway serves; regenerate it with \
         `BAILIFF_UPDATE_OPENAPI=1 cargo test -p gateway openapi` and commit it"
    );
}

#[test]
fn the_document_is_deterministic() {
    assert_eq!(pretty().ok(), pretty().ok());
}
