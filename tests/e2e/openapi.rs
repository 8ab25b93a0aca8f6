//! The OpenAPI document: served without a token, OpenAPI 3.1, the same as the checked-in
//! `docs/openapi.json`, and describing exactly the routes the router answers.

use reqwest::StatusCode;
use serde_json::Value;

use crate::harness::*;

const PATH: &str = "/_bailiff/openapi.json";

/// The checked-in copy.
fn checked_in() -> Value {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/docs/openapi.json");
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{path}: {e}"));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// A path template with sample values in its parameters.
fn sample(template: &str) -> String {
    template
        .split('/')
        .map(|part| match part {
            "{userId}" | "{userID}" => "%40nobody%3Abailiff.test",
            "{roomId}" | "{roomID}" | "{roomIdOrAlias}" => "%21nowhere%3Abailiff.test",
            part if part.starts_with('{') => "sample",
            part => part,
        })
        .collect::<Vec<_>>()
        .join("/")
}

e2e!(
    served_without_a_token_and_checked_in,
    |app: TestApp| async move {
        let response = app
            .request("GET", PATH)
            .send()
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(
            response
                .headers()
                .get("access-control-allow-origin")
                .and_then(|v| v.to_str().ok()),
            Some("*")
        );
        let text = response.text().await.unwrap_or_default();
        assert!(!text.contains("\n"), "the served document is compact");
        let doc: Value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(doc["openapi"], "3.1.0");
        assert_eq!(
            doc,
            checked_in(),
            "docs/openapi.json differs from the served document; regenerate it with \
         `BAILIFF_UPDATE_OPENAPI=1 cargo test -p gateway openapi`"
        );
        let error = &doc["components"]["schemas"]["MatrixError"];
        assert_eq!(error["required"], serde_json::json!(["errcode", "error"]));
    }
);

e2e!(
    documents_every_route_and_only_routes,
    |app: TestApp| async move {
        let (status, doc) = app.get(PATH, None).await;
        assert_eq!(status, StatusCode::OK);
        let paths = doc["paths"].as_object().cloned().unwrap_or_default();
        let table = gateway::routes::table();
        assert!(table.len() > 50, "{} routes", table.len());
        for (method, path) in &table {
            let operation = &paths
                .get(path)
                .unwrap_or_else(|| panic!("{path} is not documented"))[method.to_lowercase()];
            assert!(operation.is_object(), "{method} {path} is not documented");
        }
        // Every documented operation is routed: no `M_UNRECOGNIZED` for its method, and the
        // methods it does not document are `405`.
        for (path, item) in &paths {
            let methods: Vec<String> = item
                .as_object()
                .map(|item| item.keys().map(|m| m.to_uppercase()).collect())
                .unwrap_or_default();
            let url = sample(path);
            for method in ["GET", "POST", "PUT", "DELETE"] {
                let (status, body) = app.call(method, &url, None, None).await;
                if methods.iter().any(|m| m == method) {
                    assert!(
                        body["errcode"] != "M_UNRECOGNIZED",
                        "{method} {path}: {status} {body}"
                    );
                    assert!(
                        table.iter().any(|(m, p)| m == &method && p == path),
                        "{method} {path} is documented but not in the route table"
                    );
                } else {
                    assert_eq!(
                        (status.as_u16(), body["errcode"].as_str()),
                        (405, Some("M_UNRECOGNIZED")),
                        "{method} {path}"
                    );
                }
            }
        }
    }
);
