//! Malformed and hostile HTTP input: every bad request gets a 4xx with a JSON error, and the
//! server keeps serving valid requests afterwards.

mod common;

use common::{Fixture, json, post_huge, send};

/// Asserts a JSON error with `status`, then that a valid request still works.
fn rejected(fx: &Fixture, token: &str, (status, body): (u16, String), expected: u16, what: &str) {
    assert_eq!(status, expected, "{what}: status (body {body})");
    let v = json(&body);
    assert!(v["error"].as_str().is_some_and(|e| !e.is_empty()), "{what}: JSON error body, got {body}");
    let (ok, list) = send("GET", &format!("{}/api/v1/studies", fx.url()), Some(token), None);
    assert_eq!(ok, 200, "{what}: the server must keep serving ({list})");
}

#[test]
fn hostile_input_gets_json_4xx_and_the_server_keeps_serving() {
    let fx = Fixture::new(true);
    let alice = fx.user("alice");
    let bob = fx.user("bob");
    let u = fx.url();
    let studies = format!("{u}/api/v1/studies");

    let (s, b) = send("POST", &studies, Some(&alice), Some(br#"{"name": "mnist", "direction": "maximize"}"#));
    assert_eq!(s, 200, "{b}");
    let id = json(&b)["id"].as_u64().unwrap();
    let (s, b) = send("POST", &format!("{u}/api/v1/studies/{id}/trials"), Some(&alice), Some(b"{}"));
    assert_eq!(s, 200, "{b}");
    let trial = json(&b)["id"].as_u64().unwrap();

    // Malformed JSON, wrong types, missing fields, bad values.
    rejected(&fx, &alice, send("POST", &studies, Some(&alice), Some(b"{\"name\": ")), 400, "truncated JSON");
    rejected(&fx, &alice, send("POST", &studies, Some(&alice), Some(b"\xff\xfe\x00")), 400, "binary body");
    rejected(&fx, &alice, send("POST", &studies, Some(&alice), Some(br#"{"name": 5}"#)), 422, "name of the wrong type");
    rejected(&fx, &alice, send("POST", &studies, Some(&alice), Some(br#"{"name": "x", "direction": "up"}"#)), 422, "bad direction");
    rejected(&fx, &alice, send("POST", &studies, Some(&alice), Some(br#"{"name": ""}"#)), 422, "empty name");
    rejected(&fx, &alice, send("POST", &studies, Some(&alice), Some(b"[1,2,3]")), 422, "array body");
    let report = format!("{u}/api/v1/trials/{trial}/report");
    rejected(&fx, &alice, send("POST", &report, Some(&alice), Some(br#"{"step": -1, "value": 1.0}"#)), 422, "negative step");
    rejected(&fx, &alice, send("POST", &report, Some(&alice), Some(br#"{"step": 1, "value": "high"}"#)), 422, "string value");
    rejected(&fx, &alice, send("POST", &report, Some(&alice), Some(br#"{"step": 1, "value": NaN}"#)), 400, "NaN in our strict API");
    let param = format!("{u}/api/v1/trials/{trial}/param");
    let bad_dist = br#"{"name": "x", "distribution": {"type": "float", "low": 2.0, "high": 1.0, "log": false, "step": null}, "value": 1.5}"#;
    rejected(&fx, &alice, send("POST", &param, Some(&alice), Some(bad_dist)), 422, "inverted range");
    let outside = br#"{"name": "x", "distribution": {"type": "float", "low": 0.0, "high": 1.0, "log": false, "step": null}, "value": 7.0}"#;
    rejected(&fx, &alice, send("POST", &param, Some(&alice), Some(outside)), 422, "value outside its distribution");
    rejected(&fx, &alice, send("GET", &format!("{u}/api/v1/trials/abc"), Some(&alice), None), 400, "non-numeric id");
    rejected(&fx, &alice, send("GET", &format!("{u}/api/v1/study"), Some(&alice), None), 400, "missing query");
    rejected(&fx, &alice, send("PUT", &studies, Some(&alice), Some(b"{}")), 405, "wrong method");
    rejected(&fx, &alice, send("GET", &format!("{u}/api/v2/nothing"), Some(&alice), None), 404, "unknown route");

    // A 10 MB body.
    let addr = fx.server.addr();
    rejected(&fx, &alice, post_huge(addr, "/api/v1/studies", &alice, 10 << 20, b'['), 413, "10 MB body");
    rejected(&fx, &alice, post_huge(addr, &format!("/api/ask/{alice}"), &alice, 10 << 20, b' '), 413, "10 MB Hopaas body");

    // Unknown study and trial.
    rejected(&fx, &alice, send("GET", &format!("{u}/api/v1/studies/999/trials"), Some(&alice), None), 404, "unknown study id");
    rejected(&fx, &alice, send("GET", &format!("{u}/api/v1/study/best?name=nope"), Some(&alice), None), 404, "unknown study name");
    rejected(&fx, &alice, send("GET", &format!("{u}/api/v1/trials/123456"), Some(&alice), None), 404, "unknown trial");

    // No token, unknown token.
    rejected(&fx, &alice, send("GET", &studies, None, None), 401, "no token");
    rejected(&fx, &alice, send("GET", &studies, Some("0000"), None), 401, "unknown token");
    rejected(&fx, &alice, send("POST", &format!("{u}/api/ask/nottoken"), None, Some(b"{}")), 401, "unknown Hopaas token");

    // Another user's study and trial: invisible (404), untouched.
    rejected(&fx, &alice, send("GET", &format!("{u}/api/v1/studies/{id}/trials"), Some(&bob), None), 404, "bob reads alice's study");
    rejected(&fx, &alice, send("POST", &format!("{u}/api/v1/studies/{id}/trials"), Some(&bob), Some(b"{}")), 404, "bob adds a trial");
    rejected(&fx, &alice, send("GET", &format!("{u}/api/v1/trials/{trial}"), Some(&bob), None), 404, "bob reads alice's trial");
    let finish = format!("{u}/api/v1/trials/{trial}/finish");
    rejected(&fx, &alice, send("POST", &finish, Some(&bob), Some(br#"{"outcome": {"Complete": 1.0}}"#)), 404, "bob finishes it");
    rejected(&fx, &alice, send("DELETE", &format!("{u}/api/v1/study?name=mnist"), Some(&bob), None), 404, "bob deletes it");
    let (_, bl) = send("GET", &studies, Some(&bob), None);
    assert_eq!(json(&bl), serde_json::json!([]), "bob sees none of alice's studies");
    // Bob may have his own "mnist".
    let (s, b) = send("POST", &studies, Some(&bob), Some(br#"{"name": "mnist"}"#));
    assert_eq!(s, 200, "{b}");

    // Alice's trial is still running and hers.
    let (s, b) = send("GET", &format!("{u}/api/v1/trials/{trial}"), Some(&alice), None);
    assert_eq!((s, json(&b)["state"].as_str()), (200, Some("RUNNING")), "{b}");
    let (s, b) = send("POST", &finish, Some(&alice), Some(br#"{"outcome": {"Complete": 0.5}}"#));
    assert_eq!(s, 200, "{b}");
    rejected(&fx, &alice, send("POST", &finish, Some(&alice), Some(br#"{"outcome": {"Complete": 0.7}}"#)), 409, "finishing twice");
    let (_, b) = send("GET", &format!("{u}/api/v1/study/best?name=mnist"), Some(&alice), None);
    assert_eq!(json(&b)["value"], serde_json::json!(0.5));
}
