//! The Hopaas wire contract (../shared/hopaas-api.md), spoken the way `hopaas_client` speaks
//! it: bodies without Content-Type, Python `json.dumps` spacing and NaN tokens, the token in
//! the path.

mod common;

use common::{Fixture, json};
use serde_json::Value;

/// POST like Python `requests.post(url, data=json.dumps(obj))`: no Content-Type header.
fn post(url: &str, body: &str) -> (u16, String) {
    use std::io::{Read, Write};
    let rest = url.strip_prefix("http://").unwrap();
    let (host, path) = rest.split_once('/').unwrap();
    let mut s = std::net::TcpStream::connect(host).unwrap();
    s.set_read_timeout(Some(std::time::Duration::from_secs(300))).unwrap();
    let req = format!(
        "POST /{path} HTTP/1.1\r\nHost: {host}\r\nUser-Agent: python-requests/2.31.0\r\nAccept: */*\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    s.write_all(req.as_bytes()).unwrap();
    let mut buf = String::new();
    s.read_to_string(&mut buf).unwrap();
    let status = buf.split(' ').nth(1).unwrap().parse().unwrap();
    let body = buf.split_once("\r\n\r\n").unwrap().1.to_string();
    (status, body)
}

fn get(url: &str) -> (u16, String) {
    common::send("GET", url, None, None)
}

const ASK: &str = r#"{"n_estimators": "optuna#int(2,20,1,false)", "learning_rate": 0.1, "y": null, "max_depth": "optuna#int(2,5,1,false)", "loss_kind": "optuna#categorical(gan,bce-gan,wgan)", "lr": "optuna#loguniform(1e-05,0.1)", "hopaas_config": {"title": "Iris GBDT v7", "direction": "minimize", "sampler": {"name": "TPESampler", "args": {"n_startup_trials": 10, "n_ei_candidates": 24, "consider_magic_clip": true}}, "pruner": {"name": "ThresholdPruner", "args": {"lower": null, "upper": 2, "n_warmup_steps": 0, "interval_steps": 1}}}, "_node_name": "gpu-07"}"#;

fn ask(u: &str, token: &str, body: &str) -> (String, u64, Value) {
    let (s, b) = post(&format!("{u}/api/ask/{token}"), body);
    assert_eq!(s, 200, "ask: {b}");
    let v = json(&b);
    let handle = v["hopaas_trial"].as_str().unwrap().to_string();
    let (sid, n) = handle.split_once(':').unwrap();
    (sid.to_string(), n.parse().unwrap(), v)
}

#[test]
fn a_hopaas_client_conversation_works_end_to_end() {
    let fx = Fixture::new(true);
    let token = fx.user("alice");
    let u = fx.url();

    let (s, b) = get(&format!("{u}/api/version"));
    assert_eq!(s, 200);
    assert!(json(&b).is_string(), "version is a JSON string: {b}");

    // ask: suggestions sampled in their ranges, constants echoed (null too), handle SID:N.
    let (sid, n0, v) = ask(&u, &token, ASK);
    assert_eq!(n0, 0);
    assert_eq!(sid.len(), 43);
    assert!(!sid.contains(':'));
    let n_est = v["n_estimators"].as_i64().expect("int suggestion comes back as an integer");
    assert!((2..=20).contains(&n_est));
    assert!((2..=5).contains(&v["max_depth"].as_i64().unwrap()));
    assert!(["gan", "bce-gan", "wgan"].contains(&v["loss_kind"].as_str().unwrap()));
    let lr = v["lr"].as_f64().unwrap();
    assert!((1e-5..=0.1).contains(&lr));
    assert_eq!(v["learning_rate"], serde_json::json!(0.1));
    assert!(v.as_object().unwrap().contains_key("y") && v["y"].is_null(), "null constants are echoed");
    assert!(!v.as_object().unwrap().contains_key("_node_name"), "specials are not echoed");

    // The same definition from another process (other special values, other key order) is the same study.
    let reordered = ASK.replace(r#""_node_name": "gpu-07""#, r#""_node_name": "gpu-08""#);
    let (sid1, n1, _) = ask(&u, &token, &reordered);
    assert_eq!((sid1.as_str(), n1), (sid.as_str(), 1));

    let sp = format!("{u}/api/should_prune/{token}");
    let tell = format!("{u}/api/tell/{token}");
    let fail = format!("{u}/api/mark_as_failed/{token}");
    // Trial 0: two steps, the exit repeats the last, then tell.
    for (loss, step) in [("0.41", 0), ("0.27", 1), ("0.27", 1)] {
        let (s, b) = post(&sp, &format!(r#"{{"hopaas_trial": "{sid}:0", "loss": {loss}, "step": {step}}}"#));
        assert_eq!((s, b.as_str()), (200, "false"));
    }
    let (s, b) = post(&sp, &format!(r#"{{"hopaas_trial": "{sid}:0", "loss": 0.99, "step": 1}}"#));
    assert_eq!((s, b.as_str()), (200, "false"), "a repeated step is accepted");
    let (s, b) = post(&tell, &format!(r#"{{"hopaas_trial": "{sid}:0", "loss": 0.27}}"#));
    assert_eq!((s, b.as_str()), (200, "null"));

    // Trial 1: the threshold pruner (upper = 2) prunes at 5.0; the server finalises it.
    let (s, b) = post(&sp, &format!(r#"{{"hopaas_trial": "{sid}:1", "loss": 5.0, "step": 0}}"#));
    assert_eq!((s, b.as_str()), (200, "true"));
    let (s, b) = post(&sp, &format!(r#"{{"hopaas_trial": "{sid}:1", "loss": 5.0, "step": 0}}"#));
    assert_eq!((s, b.as_str()), (200, "true"), "a pruned trial stays pruned");
    let (s, _) = post(&fail, &format!(r#"{{"hopaas_trial": "{sid}:1", "error": "Computation aborted"}}"#));
    assert_eq!(s, 200, "mark_as_failed on a pruned trial is accepted and changes nothing");

    // Trial 2: NaN loss (Python json.dumps writes a bare NaN) fails it, with 200.
    let (_, n2, _) = ask(&u, &token, ASK);
    let (s, b) = post(&sp, &format!(r#"{{"hopaas_trial": "{sid}:{n2}", "loss": NaN, "step": 0}}"#));
    assert_eq!((s, b.as_str()), (200, "false"));
    let (s, _) = post(&tell, &format!(r#"{{"hopaas_trial": "{sid}:{n2}", "loss": NaN}}"#));
    assert_eq!(s, 200);
    // Trial 3: Infinity; trial 4: mark_as_failed.
    let (_, n3, _) = ask(&u, &token, ASK);
    assert_eq!(post(&tell, &format!(r#"{{"hopaas_trial": "{sid}:{n3}", "loss": -Infinity}}"#)).0, 200);
    let (_, n4, _) = ask(&u, &token, ASK);
    assert_eq!(post(&fail, &format!(r#"{{"hopaas_trial": "{sid}:{n4}", "error": "Computation aborted"}}"#)).0, 200);
    // tell on a finished trial: 200, no change.
    assert_eq!(post(&tell, &format!(r#"{{"hopaas_trial": "{sid}:0", "loss": 100.0}}"#)).0, 200);

    // get_best_trial: a JSON string "SID:N", query unescaped.
    let (s, b) = get(&format!("{u}/api/get_best_trial/{token}?hopaas_trial={sid}:0"));
    assert_eq!((s, b), (200, format!("\"{sid}:0\"")));

    // What the storage holds.
    let storage = fx.state.storage();
    let name = format!("alice/Iris GBDT v7#{}", &sid[..8]);
    let rec = storage.study(&name).unwrap().expect("stored under the owner's namespace");
    let (trials, _) = storage.trials_since(rec.id, Default::default()).unwrap();
    let state = |n: u64| trials.iter().find(|t| t.number == n).unwrap().clone();
    use bo_core::TrialState::*;
    assert_eq!((state(0).state, state(0).value), (Complete, Some(0.27)));
    assert_eq!(state(0).intermediate_values.get(&1), Some(&0.27), "the first value of a repeated step is kept");
    assert_eq!(state(0).user_attrs.get("_node_name"), Some(&serde_json::json!("gpu-07")));
    assert_eq!((state(1).state, state(1).value), (Pruned, Some(5.0)));
    assert_eq!(state(n2).state, Failed);
    assert_eq!(state(n3).state, Failed);
    assert_eq!((state(n4).state, state(n4).fail_reason.as_deref()), (Failed, Some("Computation aborted")));

    // Another user cannot see or touch the study; a third user with the same definition gets another study.
    let bob = fx.user("bob");
    let (s, b) = post(&format!("{u}/api/tell/{bob}"), &format!(r#"{{"hopaas_trial": "{sid}:0", "loss": 1.0}}"#));
    assert_eq!(s, 404, "{b}");
    assert!(json(&b)["error"].is_string());
    let (s, _) = get(&format!("{u}/api/get_best_trial/{bob}?hopaas_trial={sid}:0"));
    assert_eq!(s, 404);
    let (bob_sid, bob_n, _) = ask(&u, &bob, ASK);
    assert_ne!(bob_sid, sid);
    assert_eq!(bob_n, 0);
}

#[test]
fn bad_hopaas_requests_are_json_4xx_and_the_server_keeps_serving() {
    let fx = Fixture::new(true);
    let token = fx.user("carol");
    let u = fx.url();
    let ask_url = format!("{u}/api/ask/{token}");
    let cases: Vec<(&str, String, u16)> = vec![
        ("unknown token", format!("{u}/api/ask/deadbeef"), 401),
        ("not JSON", ask_url.clone(), 400),
        ("no hopaas_config", ask_url.clone(), 422),
        ("bad suggestion", ask_url.clone(), 422),
        ("bad direction", ask_url.clone(), 422),
        ("unknown pruner", ask_url.clone(), 422),
        ("unknown study", format!("{u}/api/tell/{token}"), 404),
        ("bad handle", format!("{u}/api/tell/{token}"), 422),
        ("loss of the wrong type", format!("{u}/api/tell/{token}"), 422),
    ];
    let bodies = [
        ASK.to_string(),
        "{\"x\": optuna".to_string(),
        r#"{"x": 1}"#.to_string(),
        r#"{"x": "optuna#int(5,1,1,false)", "hopaas_config": {"title": "t", "direction": "minimize"}}"#.to_string(),
        r#"{"hopaas_config": {"title": "t", "direction": "sideways"}}"#.to_string(),
        r#"{"hopaas_config": {"title": "t", "direction": "minimize", "pruner": {"name": "Oracle", "args": {}}}}"#.to_string(),
        r#"{"hopaas_trial": "AAAA:0", "loss": 1.0}"#.to_string(),
        r#"{"hopaas_trial": 17, "loss": 1.0}"#.to_string(),
        r#"{"hopaas_trial": "AAAA:0", "loss": [1]}"#.to_string(),
    ];
    for ((what, url, status), body) in cases.into_iter().zip(bodies) {
        let (s, b) = post(&url, &body);
        assert_eq!(s, status, "{what}: {b}");
        assert!(json(&b)["error"].is_string(), "{what}: JSON error, got {b}");
        let (s, b) = post(&ask_url, ASK);
        assert_eq!(s, 200, "after {what}, a valid ask still works: {b}");
    }
}
