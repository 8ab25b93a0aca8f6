use super::*;

#[test]
fn round_trips_errcode_status_and_extra_keys() {
    let original = MatrixError::unknown_token();
    let decoded = MatrixError::from_status(&original.to_status());
    assert_eq!(decoded, original);
    assert_eq!(
        decoded.body(),
        serde_json::json!({
            "errcode": "M_UNKNOWN_TOKEN",
            "error": "Invalid access token passed.",
            "soft_logout": false
        })
    );
}

#[test]
fn keeps_http_status_that_grpc_codes_cannot_express() {
    let original = MatrixError::new(413, errcode::TOO_LARGE, "too big");
    assert_eq!(MatrixError::from_status(&original.to_status()).status, 413);
}

#[test]
fn plain_statuses_are_faults_without_detail() {
    let down = MatrixError::from_status(&Status::unavailable("connection refused to 10.0.0.1"));
    assert_eq!((down.status, down.errcode), (503, errcode::UNAVAILABLE));
    assert!(!down.message.contains("10.0.0.1"));
    let other = MatrixError::from_status(&Status::internal("db exploded"));
    assert_eq!((other.status, other.errcode), (500, errcode::UNKNOWN));
    assert!(!other.message.contains("db"));
}
