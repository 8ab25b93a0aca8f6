use serde::Deserialize;
use serde_json::json;

use super::*;

#[derive(Debug, Deserialize)]
struct Example {
    name: String,
    #[serde(default)]
    flag: Option<bool>,
    #[serde(default)]
    list: Option<Vec<String>>,
    #[serde(default)]
    object: Option<Map<String, Value>>,
    #[serde(default)]
    inner: Option<Inner>,
}

#[derive(Debug, Deserialize)]
struct Inner {
    user: String,
}

fn decode_body(value: Value) -> Result<Example, (&'static str, String)> {
    let Value::Object(object) = value else {
        return Err(("not an object", String::new()));
    };
    body::<Example>(object).map_err(|e| (e.errcode, e.message))
}

#[test]
fn a_missing_field_is_missing_param() {
    let error = decode_body(json!({"flag": true})).err();
    assert_eq!(
        error,
        Some(("M_MISSING_PARAM", "Missing parameter: name".to_owned()))
    );
    let error = decode_body(json!({"name": "n", "inner": {}})).err();
    assert_eq!(
        error,
        Some(("M_MISSING_PARAM", "Missing parameter: user".to_owned()))
    );
}

#[test]
fn a_wrong_type_is_bad_json() {
    let cases = [
        (json!({"name": 5}), "Parameter name must be a string"),
        (
            json!({"name": "n", "flag": "yes"}),
            "Parameter flag must be a boolean",
        ),
        (
            json!({"name": "n", "list": "x"}),
            "Parameter list must be a list",
        ),
        (
            json!({"name": "n", "list": [1]}),
            "Parameter list[0] must be a string",
        ),
        (
            json!({"name": "n", "object": []}),
            "Parameter object must be an object",
        ),
        (
            json!({"name": "n", "inner": {"user": 1}}),
            "Parameter inner.user must be a string",
        ),
        (json!({"name": null}), "Parameter name must be a string"),
    ];
    for (value, text) in cases {
        assert_eq!(
            decode_body(value).err(),
            Some(("M_BAD_JSON", text.to_owned()))
        );
    }
}

#[test]
fn null_counts_as_absent_and_unknown_keys_are_ignored() {
    let decoded = decode_body(json!({
        "name": "n", "flag": null, "list": null, "object": null, "inner": null, "extra": [1, 2]
    }));
    let decoded = decoded.ok();
    assert_eq!(decoded.as_ref().map(|e| e.name.as_str()), Some("n"));
    let nested = decode_body(json!({"name": "n", "inner": {"user": "u", "more": 1}}));
    assert_eq!(
        nested.ok().and_then(|e| e.inner).map(|i| i.user).as_deref(),
        Some("u")
    );
    assert_eq!(decoded.as_ref().and_then(|e| e.flag), None);
    assert!(
        decoded
            .as_ref()
            .is_some_and(|e| e.list.is_none() && e.object.is_none() && e.inner.is_none())
    );
}

#[test]
fn not_json_and_not_an_object_are_refused_before_decoding() {
    use crate::extract::body::parse_object;
    let code = |bytes: &[u8]| parse_object(bytes).err().map(|e| e.errcode);
    assert_eq!(code(b"{nope"), Some("M_NOT_JSON"));
    assert_eq!(code(b"[]"), Some("M_BAD_JSON"));
    assert_eq!(code(b"\"text\""), Some("M_BAD_JSON"));
    assert_eq!(code(b""), None);
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct Lenient {
    first: Field<String>,
    second: Field<bool>,
}

#[test]
fn fields_decode_when_asked_in_the_pinned_order() {
    let Value::Object(object) = json!({"first": 1, "second": "no"}) else {
        return;
    };
    let lenient = body::<Lenient>(object).ok();
    let Some(lenient) = lenient else {
        panic!("a Field accepts any JSON");
    };
    assert!(lenient.first.is_present());
    let first = lenient
        .first
        .clone()
        .required("first")
        .map_err(|e| e.errcode);
    assert_eq!(first, Err("M_BAD_JSON"));
    assert_eq!(lenient.first.lenient(), None);
    let second = lenient.second.optional("second").map_err(|e| e.message);
    assert_eq!(second, Err("Parameter second must be a boolean".to_owned()));

    let absent = Lenient::default();
    assert_eq!(
        absent
            .first
            .clone()
            .required("first")
            .map_err(|e| e.message),
        Err("Missing parameter: first".to_owned())
    );
    assert_eq!(absent.first.optional("first").ok(), Some(None));
    assert_eq!(absent.second.unless_absent("second").ok(), Some(None));

    let Value::Object(object) = json!({"second": null}) else {
        return;
    };
    let nulls = body::<Lenient>(object).ok();
    let Some(nulls) = nulls else {
        panic!("a Field accepts null");
    };
    assert_eq!(nulls.second.clone().optional("second").ok(), Some(None));
    assert_eq!(
        nulls.second.unless_absent("second").map_err(|e| e.errcode),
        Err("M_BAD_JSON")
    );
}

#[derive(Debug, Deserialize)]
struct ExampleQuery {
    timeout: Option<QueryInt>,
    full_state: Option<QueryBool>,
    since: Option<String>,
    dir: Option<Direction>,
}

#[derive(Debug, Deserialize, PartialEq)]
enum Direction {
    #[serde(rename = "f")]
    Forwards,
    #[serde(rename = "b")]
    Backwards,
}

#[test]
fn query_strings_decode_with_the_first_value_winning() {
    let decoded =
        query::<ExampleQuery>(Some("timeout=30&full_state=true&since=s%31&since=x&dir=b"));
    let Ok(decoded) = decoded else {
        panic!("{decoded:?}");
    };
    assert_eq!(decoded.timeout, Some(QueryInt(30)));
    assert_eq!(decoded.full_state, Some(QueryBool(true)));
    assert_eq!(decoded.since.as_deref(), Some("s1"));
    assert_eq!(decoded.dir, Some(Direction::Backwards));
    assert!(query::<ExampleQuery>(None).is_ok_and(|q| q.timeout.is_none()));
}

#[test]
fn bad_query_parameters_are_invalid_param() {
    let error = |raw: &str| {
        query::<ExampleQuery>(Some(raw))
            .err()
            .map(|e| (e.errcode, e.message))
    };
    assert_eq!(
        error("timeout=-1"),
        Some((
            "M_INVALID_PARAM",
            "Query parameter timeout must be an integer".to_owned()
        ))
    );
    assert_eq!(
        error("full_state=yes"),
        Some((
            "M_INVALID_PARAM",
            "Query parameter full_state must be true or false".to_owned()
        ))
    );
    assert_eq!(error("dir=x").map(|e| e.0), Some("M_INVALID_PARAM"));
    assert_eq!(error("unknown=1"), None);
}
